// The chart README lists every value of values.yaml with its default, and the schema knows every value.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { chartDir } from './chart-tools.js';

/** Leaf paths of the values (a map that is empty, or free-form like config, counts as a leaf). */
function leaves(value: unknown, prefix: string, out: string[], freeForm: Set<string>): string[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0 && !freeForm.has(prefix)) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out, freeForm);
  } else {
    out.push(prefix);
  }
  return out;
}

const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
const freeForm = new Set(['config', 'resources', 'podSecurityContext', 'securityContext', 'app.securityContext', 'livenessProbe', 'readinessProbe', 'startupProbe', 'grafanaDashboard.labels', 'networkPolicy.metricsFrom']);
const paths = leaves(values, '', [], freeForm);

test('README.md lists every value with its default', () => {
  const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const m of readme.matchAll(/^\| `([^`]+)` \| `([^|]*)` \|/gm)) rows.set(m[1]!, m[2]!);
  const missing = paths.filter((p) => !rows.has(p));
  assert.deepEqual(missing, [], 'values missing from the README table');
  for (const p of paths) {
    const actual = p.split('.').reduce((o: any, k) => o?.[k], values);
    assert.equal(rows.get(p), JSON.stringify(actual), `README default of ${p}`);
  }
});

test('values.schema.json describes every top-level value', () => {
  const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8'));
  assert.equal(schema.additionalProperties, false);
  for (const key of Object.keys(values)) assert.ok(schema.properties[key], `schema has ${key}`);
});
