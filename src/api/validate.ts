import { decodeCursor } from '../store/cursor.js';
import { MAX_PAGE } from '../store/cursor.js';
import type { PageOptions } from '../store/store.js';
import { ApiValidationError } from './errors.js';

// Small, explicit validators: every API input goes through one of these, so unknown fields, wrong types and bad
// formats are refused the same way everywhere (400 naming the field). Mass assignment is impossible by
// construction: handlers read only the fields they name, and `strictKeys` refuses any other.

/** Organization slugs: DNS-label-like, lower case, 1-63 characters (no ":" or ",": they separate X-Auth-Orgs). */
export const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Ids in paths: what the store generates (UUIDs) and a little more; anything else cannot exist. */
export const ID = /^[A-Za-z0-9_-]{1,128}$/;
/** Platform role names. */
export const ROLE_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

export type JsonObject = Record<string, unknown>;

/** Refuses any key not in `allowed` (the first one found is named). */
export function strictKeys(body: JsonObject, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw new ApiValidationError(key, 'unknown field');
  }
}

interface StringRule { required?: boolean; max?: number; min?: number; pattern?: RegExp; patternHint?: string; oneOf?: readonly string[] }

/** A string field; undefined when absent and not required. */
export function stringField(body: JsonObject, name: string, rule: StringRule & { required: true }): string;
export function stringField(body: JsonObject, name: string, rule?: StringRule): string | undefined;
export function stringField(body: JsonObject, name: string, rule: StringRule = {}): string | undefined {
  const value = body[name];
  if (value === undefined) {
    if (rule.required) throw new ApiValidationError(name, 'required');
    return undefined;
  }
  if (typeof value !== 'string') throw new ApiValidationError(name, 'expected a string');
  checkString(name, value, rule);
  return value;
}

function checkString(name: string, value: string, rule: StringRule): void {
  if (rule.min !== undefined && value.length < rule.min) throw new ApiValidationError(name, `expected at least ${rule.min} characters`);
  if (rule.max !== undefined && value.length > rule.max) throw new ApiValidationError(name, `expected at most ${rule.max} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new ApiValidationError(name, 'control characters are not allowed');
  if (rule.oneOf && !rule.oneOf.includes(value)) throw new ApiValidationError(name, `expected one of ${rule.oneOf.join(', ')}`);
  if (rule.pattern && !rule.pattern.test(value)) throw new ApiValidationError(name, rule.patternHint ?? 'has the wrong format');
}

/** A boolean field; undefined when absent. */
export function booleanField(body: JsonObject, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new ApiValidationError(name, 'expected true or false');
  return value;
}

/** An array of strings, each checked; duplicates removed, order kept. */
export function stringArrayField(body: JsonObject, name: string, rule: StringRule & { maxItems: number; minItems?: number; required?: boolean }): string[] | undefined {
  const value = body[name];
  if (value === undefined) {
    if (rule.required) throw new ApiValidationError(name, 'required');
    return undefined;
  }
  if (!Array.isArray(value)) throw new ApiValidationError(name, 'expected an array of strings');
  if (value.length > rule.maxItems) throw new ApiValidationError(name, `expected at most ${rule.maxItems} items`);
  if (value.length < (rule.minItems ?? 0)) throw new ApiValidationError(name, `expected at least ${rule.minItems} item(s)`);
  const out: string[] = [];
  value.forEach((item: unknown, i) => {
    if (typeof item !== 'string') throw new ApiValidationError(`${name}[${i}]`, 'expected a string');
    checkString(`${name}[${i}]`, item, rule);
    if (!out.includes(item)) out.push(item);
  });
  return out;
}

/** Refuses query parameters a route does not take, and repeated ones. */
export function strictQuery(query: URLSearchParams, allowed: readonly string[]): void {
  const seen = new Set<string>();
  for (const key of query.keys()) {
    if (!allowed.includes(key)) throw new ApiValidationError(key, 'unknown query parameter');
    if (seen.has(key)) throw new ApiValidationError(key, 'given more than once');
    seen.add(key);
  }
}

/** `limit` (1..500) and `cursor` (opaque, from a previous page) from the query. */
export function pageQuery(query: URLSearchParams): PageOptions {
  const options: PageOptions = {};
  const limit = query.get('limit');
  if (limit !== null) {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_PAGE) {
      throw new ApiValidationError('limit', `expected an integer from 1 to ${MAX_PAGE}`);
    }
    options.limit = Number(limit);
  }
  const cursor = query.get('cursor');
  if (cursor !== null) {
    if (cursor.length > 512) throw new ApiValidationError('cursor', 'invalid page cursor');
    try {
      decodeCursor(cursor);
    } catch {
      throw new ApiValidationError('cursor', 'invalid page cursor');
    }
    options.cursor = cursor;
  }
  return options;
}

/** An RFC 3339 time from the query (e.g. `2026-01-31T12:00:00Z`). */
export function timeQuery(query: URLSearchParams, name: string): Date | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(t)) throw new ApiValidationError(name, 'expected an RFC 3339 time such as 2026-01-31T12:00:00Z');
  return new Date(t);
}

/** A string query parameter checked like a body field. */
export function stringQuery(query: URLSearchParams, name: string, rule: StringRule = {}): string | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  checkString(name, value, rule);
  return value;
}
