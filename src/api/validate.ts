import type { z } from 'zod';
import { ApiValidationError } from './errors.js';

// The one place where SSO API input is checked: every query string and every body is parsed here against the
// schema its endpoint declares (api/schemas.ts), the same schema the OpenAPI document is generated from. A
// refusal is 400 `{"error":"invalid_request","field":...,"message":...}` naming the first input at fault:
// an unknown field or parameter first, then the fields in the order the schema names them.

export type JsonObject = Record<string, unknown>;

/**
 * Checks run on every string of every input before its schema (`field` is where it was found, e.g. `events[0]`):
 * a problem text refuses the request. They hold what is true of all input whatever the endpoint, so no schema can
 * forget them.
 */
export type StringGuard = (value: string, field: string) => string | undefined;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** No API field carries control characters: they end up in logs, headers (X-Auth-Orgs) and pages. */
const noControlCharacters: StringGuard = (value) => (CONTROL.test(value) ? 'control characters are not allowed' : undefined);

export const STRING_GUARDS: readonly StringGuard[] = [noControlCharacters];

/** Parses a JSON body against its endpoint's schema; the result is the schema's output (trimmed, deduplicated...). */
export function parseBody<S extends z.ZodType>(schema: S, body: JsonObject): z.output<S> {
  return parseInput(schema, body);
}

/**
 * Parses a query string against its endpoint's schema. A parameter given twice is refused (which one counts
 * differs between servers and proxies), so every value is a single string.
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: URLSearchParams): z.output<S> {
  const values: Record<string, string> = {};
  for (const [key, value] of query) {
    if (Object.hasOwn(values, key)) throw new ApiValidationError(key, 'given more than once');
    values[key] = value;
  }
  return parseInput(schema, values, 'unknown query parameter');
}

function parseInput<S extends z.ZodType>(schema: S, input: JsonObject, unknownKey = 'unknown field'): z.output<S> {
  guardStrings(input, '');
  const result = schema.safeParse(input, { error: defaultMessage });
  if (result.success) return result.data;
  const issues = result.error.issues;
  // An unknown key is reported first, whatever else is wrong: it is the clearest sign of a wrong request.
  const unknown = issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown && unknown.code === 'unrecognized_keys') {
    const field = fieldName([...unknown.path, unknown.keys[0]!]);
    throw new ApiValidationError(field, unknownKey);
  }
  const first = issues[0]!;
  throw new ApiValidationError(fieldName(first.path) || 'body', first.message);
}

/** `['events', 0]` -> `events[0]`. */
function fieldName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out;
}

function guardStrings(value: unknown, field: string): void {
  if (typeof value === 'string') {
    for (const guard of STRING_GUARDS) {
      const problem = guard(value, field);
      if (problem !== undefined) throw new ApiValidationError(field || 'body', problem);
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => guardStrings(item, `${field}[${i}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) guardStrings(item, field === '' ? key : `${field}.${key}`);
  }
}

/** Messages for the issues a schema does not word itself, in the API's own terms. */
function defaultMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      switch (issue.expected) {
        case 'string': return 'expected a string';
        case 'boolean': return 'expected true or false';
        case 'array': return 'expected an array';
        case 'object': return 'expected a JSON object';
        default: return `expected ${issue.expected}`;
      }
    case 'too_small':
      if (issue.origin === 'string') return `expected at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return `expected at least ${issue.minimum} item(s)`;
      return `expected at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `expected at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `expected at most ${issue.maximum} items`;
      return `expected at most ${issue.maximum}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      return 'has the wrong format';
    default:
      return undefined;
  }
}
