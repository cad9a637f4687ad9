// config/gatehouse.example.yaml is the configuration reference: it must stay valid, and every section and key the
// schema knows must appear in it, so a new key cannot be added without documenting it there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../../src/config/index.js';
import { configSchema } from '../../src/config/schema.js';

const EXAMPLE = readFileSync(new URL('../../../config/gatehouse.example.yaml', import.meta.url), 'utf8');

test('the example config is valid', () => {
  const config = parseConfigText(EXAMPLE, {});
  assert.ok(config.routes.length >= 1);
});

test('every top-level section of the schema is documented in the example', () => {
  const shape = (configSchema as unknown as { shape: Record<string, unknown> }).shape;
  for (const key of Object.keys(shape)) {
    assert.match(EXAMPLE, new RegExp(`^${key}:`, 'm'), `config/gatehouse.example.yaml documents "${key}:"`);
  }
});

/** Every key of the schema, as dotted paths ("routes[].match.path"), found by walking zod's definitions. */
function schemaKeys(schema: unknown, path: string[] = [], out: string[][] = []): string[][] {
  let t = schema as { _zod: { def: Record<string, unknown> } };
  for (let i = 0; i < 10 && (t._zod.def['innerType'] !== undefined || t._zod.def['type'] === 'pipe'); i++) {
    t = (t._zod.def['innerType'] ?? t._zod.def['in']) as typeof t;
  }
  const def = t._zod.def;
  if (def['type'] === 'object') {
    for (const [key, value] of Object.entries(def['shape'] as Record<string, unknown>)) {
      out.push([...path, key]);
      schemaKeys(value, [...path, key], out);
    }
  } else if (def['type'] === 'array') schemaKeys(def['element'], [...path, '[]'], out);
  else if (def['type'] === 'record') schemaKeys(def['valueType'], [...path, '*'], out);
  return out;
}

test('every key of the schema, nested ones included, is documented in the example', () => {
  const keys = schemaKeys(configSchema);
  assert.ok(keys.some((k) => k.join('.') === 'routing.case_sensitive'), 'the walk reaches nested keys');
  for (const key of keys) {
    const name = key[key.length - 1] as string;
    // As a YAML key, on its own line or inside a flow mapping, possibly commented out when it is optional.
    assert.match(EXAMPLE, new RegExp(`(^|[\\s{,])(#\\s*)?${name}:`, 'm'), `config/gatehouse.example.yaml documents ${key.join('.')}`);
  }
});
