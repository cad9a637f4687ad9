// kubectl, offline: `kubectl kustomize` loads the rendered manifests as Kubernetes resources (it parses
// every object, requires apiVersion/kind/metadata.name and refuses duplicate objects) without a cluster.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { renderChart, repoRoot, requireTool, run } from './chart-tools.js';

const work = mkdtempSync(join(tmpdir(), 'gatehouse-kustomize-'));
after(() => rmSync(work, { recursive: true, force: true }));

const cases: Array<[string, string[], string?]> = [
  ['sidecar-sqlite', ['sidecar-sqlite.yaml']],
  ['gateway-postgres', ['gateway-postgres.yaml']],
  ['embedded', [], join(repoRoot, 'test', 'chart', 'fixtures', 'embedding-chart')],
];

for (const [name, values, chart] of cases) {
  test(`kubectl kustomize accepts the ${name} manifests`, (t) => {
    const kubectl = requireTool(t, 'kubectl');
    if (!kubectl) return;
    const r = renderChart(t, values, chart ? { chart } : {});
    if (!r) return;
    assert.ok(r.ok, r.stderr);
    const dir = join(work, name);
    rmSync(dir, { recursive: true, force: true });
    run('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'manifests.yaml'), r.stdout);
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources:\n  - manifests.yaml\n');
    const k = run(kubectl, ['kustomize', dir], { timeoutMs: 60_000 });
    assert.equal(k.status, 0, k.stderr);
    const out = parseAllDocuments(k.stdout).map((d) => d.toJS() as { kind: string } | null).filter((d) => d !== null);
    assert.equal(out.length, r.docs.length, 'kustomize kept every object');
  });
}
