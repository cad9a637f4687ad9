import { GatehouseError } from '../errors/index.js';

/** One input is wrong: 400 `{"error":"invalid_request","field":...,"message":...}`. */
export class ApiValidationError extends GatehouseError {
  readonly field: string;
  constructor(field: string, problem: string) {
    super('GATE_ERR_VALIDATION', `${field}: ${problem}`);
    this.field = field;
  }
}

/** The change is refused by the current state (the last owner leaving, approving an approved org): 409. */
export class StateConflictError extends GatehouseError {
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super('GATE_ERR_STATE_CONFLICT', message);
    this.field = field;
  }
}

/** A thing the caller named does not exist, or they may not know it does: 404, naming the input when it came from the body. */
export class ApiNotFoundError extends GatehouseError {
  readonly field: string | undefined;
  constructor(what: string, field?: string) {
    super('GATE_ERR_NOT_FOUND', `${what} not found`);
    this.field = field;
  }
}

/** Signed in, able to see the thing, but not allowed to do this to it: 403. */
export function forbidden(message = 'you may not do this'): GatehouseError {
  return new GatehouseError('GATE_ERR_FORBIDDEN', message);
}
