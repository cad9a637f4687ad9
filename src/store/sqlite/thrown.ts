import {
  ConflictError, GatehouseError, NotFoundError, SchemaTooNewError, StoreBusyError, StoreDownError,
} from '../../errors/index.js';
import type { ErrorClass } from '../transaction-op.js';

/**
 * A GatehouseError thrown by a transaction body in the writer thread, reduced to what survives a thread boundary:
 * its class name, message and own fields (code, status, field...). The cause stays behind (it may not be clonable).
 */
export interface WireThrown {
  className: string;
  message: string;
  stack: string | undefined;
  props: Record<string, unknown>;
}

/** The store's own error classes: every transaction may throw these. */
const STORE_CLASSES: readonly ErrorClass[] = [GatehouseError, ConflictError, NotFoundError, StoreBusyError, StoreDownError, SchemaTooNewError];

/** Reduces a GatehouseError to its wire form. */
export function toWireThrown(err: GatehouseError): WireThrown {
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err)) if (k !== 'cause' && (v === null || typeof v !== 'object')) props[k] = v;
  return { className: err.constructor.name, message: err.message, stack: err.stack, props };
}

/**
 * Rebuilds the error on this side as an instance of the same class (looked up among the store's classes and
 * `extra`), fields and message included, so `instanceof` and `err.field` work as if it had been thrown here. An
 * unknown class comes back as a plain GatehouseError with the same code.
 */
export function fromWireThrown(w: WireThrown, extra: readonly ErrorClass[] = []): GatehouseError {
  const cls = [...extra, ...STORE_CLASSES].find((c) => c.name === w.className) ?? GatehouseError;
  const err = Object.create(cls.prototype as object) as GatehouseError;
  Object.assign(err, w.props);
  Object.defineProperty(err, 'message', { value: w.message, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(err, 'stack', {
    value: `${w.stack ?? `${w.className}: ${w.message}`}\n    (thrown in the sqlite writer thread)`, writable: true, configurable: true, enumerable: false,
  });
  return err;
}
