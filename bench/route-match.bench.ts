// Micro-benchmark for the per-request routing work: normalizePath + RouteTable.match over ~50 routes.
// Run: npx tsc -p . && node dist/bench/route-match.bench.js [iterations]
// The competitor is what a hand-rolled gate would do: WHATWG URL parsing plus one RegExp per route.
import { compileRouteTable, normalizePath } from '../src/routing/index.js';
import type { RouteConfig } from '../src/config/schema.js';

function route(name: string, path: string, host?: string, methods?: RouteConfig['match']['methods']): RouteConfig {
  const match: RouteConfig['match'] = { path };
  if (host !== undefined) match.host = host;
  if (methods !== undefined) match.methods = methods;
  return { name, match, policy: 'authenticated', upstream: 'app', websockets: false, upgrade_protocols: [] };
}

const routes: RouteConfig[] = [];
for (let i = 0; i < 12; i++) routes.push(route(`svc-${i}`, `/svc-${i}/`, `svc${i}.example.com`));
for (let i = 0; i < 12; i++) routes.push(route(`api-${i}`, `/api/v${i}/items/*`, undefined, ['GET', 'HEAD']));
for (let i = 0; i < 10; i++) routes.push(route(`exact-${i}`, `/pages/page-${i}`));
for (let i = 0; i < 8; i++) routes.push(route(`glob-${i}`, `/static/v${i}/**/*.js`));
routes.push(route('wild', '/', '*.internal.example.com'));
for (let i = 0; i < 6; i++) routes.push(route(`area-${i}`, `/area-${i}/`, undefined, ['GET', 'POST']));
routes.push(route('catch-all', '/'));

const requests: ReadonlyArray<readonly [string, string, string]> = [
  ['app.example.com', '/pages/page-7', 'GET'],
  ['app.example.com', '/api/v9/items/123?expand=true', 'GET'],
  ['svc3.example.com:443', '/svc-3/dashboard', 'GET'],
  ['app.example.com', '/static/v5/js/vendor/app.js', 'GET'],
  ['app.example.com', '/area-4/./x/../settings', 'POST'],
  ['a.internal.example.com', '/metrics', 'GET'],
  ['app.example.com', '/%61pi/v1/items/%7Ex', 'GET'],
  ['app.example.com', '/nothing/here', 'DELETE'],
];

const table = compileRouteTable(routes);
const baseline = routes.map((r) => {
  const p = r.match.path;
  const isPrefix = p.length > 1 && p.endsWith('/');
  const body = (isPrefix ? p.slice(0, -1) : p).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\/\*\*/g, '(?:/.*)?').replace(/(?<!\.)\*/g, '[^/]*');
  return { r, re: new RegExp(`^${body}${isPrefix ? '(?:/.*)?' : ''}$`), host: r.match.host?.toLowerCase(), methods: r.match.methods as readonly string[] | undefined };
});

function run(label: string, iterations: number, fn: (i: number) => unknown): void {
  let sink = 0;
  for (let i = 0; i < 50_000; i++) if (fn(i) !== undefined) sink++; // warm-up
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) if (fn(i) !== undefined) sink++;
  const ms = performance.now() - t0;
  const opsPerSec = Math.round((iterations / ms) * 1000);
  console.log(`${label.padEnd(40)} ${opsPerSec.toLocaleString('en-US').padStart(13)} ops/s  (${(ms * 1e6 / iterations).toFixed(0)} ns/op, sink ${sink % 7})`);
}

const iterations = Number(process.argv[2] ?? 2_000_000);
const n = requests.length;
console.log(`routes: ${routes.length}, request mix: ${n}, iterations: ${iterations}, node ${process.version}`);

run('normalizePath', iterations, (i) => normalizePath((requests[i % n] as readonly string[])[1] as string));
run('RouteTable.match (pre-normalised)', iterations, (() => {
  const pre = requests.map(([h, t, m]) => {
    const r = normalizePath(t);
    return [h, r.ok ? r : { path: '/', matchPath: '/' }, m] as const;
  });
  return (i: number) => {
    const [h, p, m] = pre[i % n]!;
    return table.match(h, p, m);
  };
})());
run('normalizePath + RouteTable.match', iterations, (i) => {
  const [h, t, m] = requests[i % n] as readonly [string, string, string];
  const r = normalizePath(t);
  return r.ok ? table.match(h, r, m) : undefined;
});
// Spellings that need more than one reading (case-folded, ";" parameters, a trailing "/"): the slow path of match().
const readingRequests = ['/Pages/Page-7', '/svc-3/dashboard/', '/area-4/x;jsessionid=1/settings', '/API/v9/items/123/']
  .map((t) => { const r = normalizePath(t); if (!r.ok) throw new Error(t); return r; });
run('RouteTable.match, several readings', iterations, (i) => table.match('app.example.com', readingRequests[i % readingRequests.length]!, 'GET'));
run('competitor: new URL() + RegExp per route', iterations, (i) => {
  const [h, t, m] = requests[i % n] as readonly [string, string, string];
  const path = new URL(t, 'http://x').pathname;
  const host = h.toLowerCase().replace(/:\d*$/, '');
  for (const b of baseline) {
    if (b.methods !== undefined && !b.methods.includes(m)) continue;
    if (b.host !== undefined && (b.host.startsWith('*.') ? !host.endsWith(b.host.slice(1)) : host !== b.host)) continue;
    if (b.re.test(path)) return b.r;
  }
  return undefined;
});
