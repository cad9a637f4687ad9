// Layers that point one way: no import cycle anywhere in src/, and no import from a lower layer to a higher one
// (the order is written down in import-graph.ts and in the README's architecture section). The checker is itself
// tested on small graphs, so a checker that sees nothing cannot pass by accident.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { importCycles, importGraph, layerOf, upwardImports } from './import-graph.js';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

test('src/ has no import cycle', () => {
  const graph = importGraph(SRC);
  assert.ok(graph.size > 100, `read ${graph.size} files`);
  assert.ok([...graph.values()].reduce((n, t) => n + t.length, 0) > 300, 'imports were found');
  assert.deepEqual(importCycles(graph).map((c) => c.join(' -> ')), []);
});

test('src/ imports only sideways or down the layer order', () => {
  assert.deepEqual(upwardImports(importGraph(SRC)), []);
});

test('the checker finds cycles and upward imports in graphs made to have them', () => {
  const cyclic = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']], ['e.ts', ['e.ts']]]);
  assert.deepEqual(importCycles(cyclic), [['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
  assert.deepEqual(importCycles(new Map([['a.ts', ['b.ts']], ['b.ts', []]])), []);
  const layered = new Map([
    ['store/store.ts', ['errors/index.ts']],
    ['actors/webhook-deliverer.ts', ['api/webhook-target.ts', 'actors/config-schema.ts']],
    ['api/webhook-target.ts', []],
    ['config/schema.ts', ['auth/config-schema.ts']],
    ['nowhere/x.ts', []],
  ]);
  assert.deepEqual(upwardImports(layered), [
    'actors/webhook-deliverer.ts (actors) imports api/webhook-target.ts (api), a layer above it',
    'nowhere/x.ts: in no layer (add its folder to LAYERS in test/architecture/import-graph.ts)',
  ]);
  assert.equal(layerOf('auth/oauth/config-schema.ts'), 0, 'every config-schema.ts is foundation');
  assert.ok(layerOf('pipeline/2-judge/judge.ts')! > layerOf('routing/route-table.ts')!);
});
