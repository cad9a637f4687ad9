// The import graph of src/ read from the TypeScript sources (type-only imports included: a cycle closed by
// `import type` is still a cycle a reader has to hold in their head), and the layer order it must respect.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The layers of src/, bottom first. A file may import from its own layer and from the layers below it, never from
 * one above. Every `config-schema.ts` belongs to `foundation` wherever it lives (config/schema.ts composes them).
 */
export const LAYERS: readonly { readonly name: string; readonly members: readonly string[]; readonly why: string }[] = [
  { name: 'foundation', members: ['errors/', 'log/', 'tracing/', 'metrics/', 'config/', 'events/', '*/config-schema.ts'], why: 'codes, logging, tracing, metrics, the config schema, the event bus: no behaviour of their own' },
  { name: 'storage', members: ['store/'], why: 'the storage interface and its drivers' },
  { name: 'http', members: ['http/', 'input/'], why: 'HTTP plumbing every endpoint shares: bodies, answers, the endpoint router, the SSRF-guarded connector' },
  { name: 'mechanisms', members: ['routing/', 'sessions/', 'proxy/', 'admission/'], why: 'what the stages are made of' },
  { name: 'account services', members: ['mail/', 'pages/', 'accounts/secret-box.ts', 'signing/'], why: 'account mail (templates, transport, outbox), the page renderer, sealed secrets, the signing keys and assertions' },
  { name: 'actors', members: ['actors/'], why: 'background work over the store' },
  { name: 'pipeline', members: ['pipeline/'], why: 'the request stages' },
  { name: 'auth', members: ['auth/'], why: 'login endpoints, CSRF, throttling, passwords, OAuth' },
  { name: 'accounts', members: ['accounts/'], why: 'what local accounts bring beyond a password: verification, reset, second factors, the account page' },
  { name: 'api', members: ['api/'], why: 'the SSO API' },
  { name: 'server', members: ['server/'], why: 'listeners and transports, the instance' },
  { name: 'root', members: ['app.ts', 'demo/'], why: 'the composition root' },
  { name: 'cli', members: ['cli/'], why: 'the entry point' },
];

/** Which layer a file (path relative to src/) belongs to, by rank; undefined when no layer claims it. */
export function layerOf(file: string): number | undefined {
  if (file.endsWith('/config-schema.ts') || file === 'config-schema.ts') return 0;
  for (let rank = 0; rank < LAYERS.length; rank++) {
    for (const member of LAYERS[rank]!.members) {
      if (member.startsWith('*/')) continue;
      if (member.endsWith('/') ? file.startsWith(member) : file === member) return rank;
    }
  }
  return undefined;
}

/** Every .ts file under `dir`, relative to it. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  (function walk(d: string): void {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(dir, full));
    }
  })(dir);
  return out;
}

const STATIC = /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The relative imports of one source file, as paths relative to `root` (`.js` specifiers mapped to `.ts`). */
export function importsOf(root: string, file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = new Set<string>();
  for (const re of [STATIC, DYNAMIC]) {
    for (const m of text.matchAll(re)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) continue;
      const target = relative(root, resolve(root, dirname(file), spec)).replace(/\.js$/, '.ts');
      found.add(target);
    }
  }
  return [...found].sort();
}

/** The whole graph: file -> the files it imports. */
export function importGraph(root: string): Map<string, string[]> {
  return new Map(sourceFiles(root).map((f) => [f, importsOf(root, f)]));
}

/** Imports that point up the layer order, and files no layer claims. */
export function upwardImports(graph: Map<string, string[]>): string[] {
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    const from = layerOf(file);
    if (from === undefined) {
      problems.push(`${file}: in no layer (add its folder to LAYERS in test/architecture/import-graph.ts)`);
      continue;
    }
    for (const target of targets) {
      const to = layerOf(target);
      if (to !== undefined && to > from) problems.push(`${file} (${LAYERS[from]!.name}) imports ${target} (${LAYERS[to]!.name}), a layer above it`);
    }
  }
  return problems;
}

/** Every import cycle (strongly connected component of more than one file, or a file importing itself), Tarjan's. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return cycles;
}
