import type { IncomingMessage } from 'node:http';
import { GatehouseError } from '../errors/index.js';
import { refuseControlCharactersInJson, refuseControlCharactersInParams } from './input-guard.js';

/** A parsed request body: form fields or a JSON object, with which it was. */
export type ParsedBody = { kind: 'form'; fields: URLSearchParams } | { kind: 'json'; value: Record<string, unknown> };

/** Reads a small request body fully, refusing more than `limit` bytes with 413 as soon as it is exceeded. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new GatehouseError('GATE_ERR_PAYLOAD_TOO_LARGE', `body over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw new GatehouseError('GATE_ERR_PAYLOAD_TOO_LARGE', `body over ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads and parses a form-encoded or JSON body; anything else is 415, malformed JSON or a non-object is 400, and so
 * is a control character in any field but a password (http/input-guard.ts).
 */
export async function readParsedBody(req: IncomingMessage, limit: number): Promise<ParsedBody> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && type !== 'application/x-www-form-urlencoded') {
    throw new GatehouseError('GATE_ERR_UNSUPPORTED_MEDIA_TYPE', 'expected application/json or application/x-www-form-urlencoded');
  }
  const raw = await readBody(req, limit);
  if (type === 'application/x-www-form-urlencoded') {
    const fields = new URLSearchParams(raw.toString('utf8'));
    refuseControlCharactersInParams(fields);
    return { kind: 'form', fields };
  }
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new GatehouseError('GATE_ERR_BAD_REQUEST', 'body is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new GatehouseError('GATE_ERR_BAD_REQUEST', 'expected a JSON object');
  refuseControlCharactersInJson(value);
  return { kind: 'json', value: value as Record<string, unknown> };
}

/** A string field from a parsed body; 400 naming the field when it is missing or not a string. */
export function stringField(body: ParsedBody, name: string, options: { optional?: boolean; max?: number } = {}): string | undefined {
  const value = body.kind === 'form' ? body.fields.get(name) ?? undefined : body.value[name];
  if (value === undefined || value === null) {
    if (options.optional) return undefined;
    throw new GatehouseError('GATE_ERR_BAD_REQUEST', `${name}: required`);
  }
  if (typeof value !== 'string') throw new GatehouseError('GATE_ERR_BAD_REQUEST', `${name}: expected a string`);
  if (options.max !== undefined && value.length > options.max) throw new GatehouseError('GATE_ERR_BAD_REQUEST', `${name}: longer than ${options.max} characters`);
  return value;
}
