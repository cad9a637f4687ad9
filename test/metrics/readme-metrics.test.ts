// Every metric Gatehouse exports is documented in the README's metrics table, with what healthy looks like.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createMetrics } from '../../src/metrics/metrics.js';

test('every gatehouse_* metric has a row in the README', async () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const names = (await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => n.startsWith('gatehouse_'));
  assert.ok(names.length >= 30, `found ${names.length} gatehouse metrics`);
  for (const name of names) assert.match(readme, new RegExp(`^\\| \`${name}[{\`]`, 'm'), `README documents ${name}`);
});
