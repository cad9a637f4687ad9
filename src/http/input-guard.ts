import { GatehouseError } from '../errors/index.js';

/**
 * One guard for every input Gatehouse's own endpoints read: no string field of a JSON or form body, and no query
 * parameter, may carry a control character (C0 U+0000-U+001F, DEL U+007F, C1 U+0080-U+009F). They have no place in
 * an address, a name, a slug, a URL or a token; PostgreSQL refuses NUL in text outright (that was a 500), other
 * stores keep them and hand them to logs, mail headers and upstream identity headers later. Refused here, at the
 * edge, with 400 naming the field, before any handler or the store sees them.
 *
 * Exempt: passwords (any field whose name contains `password`). A password is any Unicode the user chose (NIST SP
 * 800-63B §5.1.1.2), it only ever reaches the hash, and refusing one that an account already has would lock it out.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** An input carries a control character: 400 `{"error":"invalid_request","field":...}`. */
export class ControlCharacterError extends GatehouseError {
  readonly field: string;
  constructor(field: string) {
    super('GATE_ERR_CONTROL_CHARACTER', `${field}: control characters are not allowed`);
    this.field = field;
  }
}

/** Whether a text holds a control character. */
export function hasControlCharacter(text: string): boolean {
  return CONTROL.test(text);
}

/** Whether a field may hold any character (a password). */
function exempt(name: string): boolean {
  return name.toLowerCase().includes('password');
}

/** A field name as it can be shown: its control characters written as \u escapes. */
function printable(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Refuses a control character anywhere in a parsed JSON value: every string, at any depth, and every key. The
 * field is named by its path (`email`, `events[2]`, `data.name`).
 */
export function refuseControlCharactersInJson(value: unknown, path = ''): void {
  if (typeof value === 'string') {
    if (CONTROL.test(value) && !exempt(path)) throw new ControlCharacterError(path || 'body');
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => refuseControlCharactersInJson(item, `${path}[${i}]`));
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const field = path === '' ? key : `${path}.${key}`;
      if (CONTROL.test(key)) throw new ControlCharacterError(printable(field));
      refuseControlCharactersInJson(item, field);
    }
  }
}

/** Refuses a control character in any name or value of form fields or query parameters. */
export function refuseControlCharactersInParams(params: URLSearchParams): void {
  for (const [name, value] of params) {
    if (CONTROL.test(name)) throw new ControlCharacterError(printable(name));
    if (CONTROL.test(value) && !exempt(name)) throw new ControlCharacterError(name);
  }
}

/** Parses a query string for an endpoint, refusing control characters in it (400 naming the parameter). */
export function endpointQuery(raw: string): URLSearchParams {
  const query = new URLSearchParams(raw);
  refuseControlCharactersInParams(query);
  return query;
}
