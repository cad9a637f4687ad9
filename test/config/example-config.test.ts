// config/gatehouse.example.yaml is the configuration reference: it must stay valid, and every top-level section
// the schema knows must appear in it, so a new section cannot be added without documenting it there.
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
