import type { z } from 'zod';
import { refuseControlCharactersInJson } from '../http/input-guard.js';
import { ApiValidationError } from './errors.js';

// The one place where SSO API input is checked against its endpoint: every query string and every body is parsed
// here with the schema its endpoint declares (api/schemas.ts), the same schema the OpenAPI document is generated
// from. A refusal is 400 `{"error":"invalid_request","field":...,"message":...}` naming the first input at fault:
// an unknown field or parameter first, then the fields in the order the schema names them. What holds for every
// input of every endpoint (no control characters) is checked before, at the edge (http/input-guard.ts), and
// checked again here so that no caller of these functions can skip it.

export type JsonObject = Record<string, unknown>;

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
  refuseControlCharactersInJson(input);
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
