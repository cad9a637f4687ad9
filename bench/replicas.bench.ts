// Three Gatehouse replicas on one PostgreSQL (or MySQL) database: what the database pays per proxied request,
// how often the session cache answers, and what a revocation's fan-out costs. The figures docs/scaling.md
// works from.
//   npm run build && node dist/bench/replicas.bench.js [--driver postgres|mysql] [--seconds 20] [--users 200]
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Pool, request } from 'undici';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { stringify } from 'yaml';
import { mysqlDatabase, postgresDatabase, type TestDatabase } from '../test/store/databases.js';

const { values } = parseArgs({ options: {
  driver: { type: 'string', default: 'postgres' }, seconds: { type: 'string', default: '20' },
  users: { type: 'string', default: '200' }, connections: { type: 'string', default: '32' },
} });
const driver = values.driver as 'postgres' | 'mysql';
const seconds = Number(values.seconds);
const userCount = Number(values.users);
const SETTLE_MS = 1500;
const BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));

/** Transactions the database has committed for one database: every autocommit statement counts as one. */
async function databaseStatements(db: TestDatabase): Promise<number> {
  if (driver === 'postgres') {
    const c = new pg.Client({ connectionString: db.config.postgres.url });
    await c.connect();
    try {
      const name = new URL(db.config.postgres.url).pathname.slice(1);
      const r = await c.query('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1', [name]);
      return Number(r.rows[0].n);
    } finally {
      await c.end();
    }
  }
  const c = await mysql.createConnection({ uri: db.config.mysql.url });
  try {
    const [rows] = await c.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select','Com_insert','Com_update','Com_delete')");
    return (rows as { Value: string }[]).reduce((n, r) => n + Number(r.Value), 0);
  } finally {
    await c.end();
  }
}

async function startReplica(configPath: string): Promise<{ child: ChildProcess; port: number; adminPort: number }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', configPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('replica did not start')), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n')) {
        if (!line.includes('gatehouse is listening')) continue;
        const log = JSON.parse(line) as { ingress: AddressInfo; admin: AddressInfo };
        clearTimeout(timer);
        resolve({ child, port: log.ingress.port, adminPort: log.admin.port });
      }
    });
  });
}

function metric(text: string, name: string): number {
  return text.split('\n').filter((l) => l.startsWith(name) && !l.startsWith('#')).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
}

const db = driver === 'postgres' ? await postgresDatabase() : await mysqlDatabase();
const upstream = createServer((_req, res) => res.end('ok'));
await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-replicas-bench-'));
const configPath = join(dir, 'gatehouse.yaml');
const store = driver === 'postgres'
  ? { driver, postgres: { url: db.config.postgres.url, pool_max: 10 } }
  : { driver, mysql: { url: db.config.mysql.url, pool_max: 10 } };
writeFileSync(configPath, stringify({
  server: { listen: '127.0.0.1:0', public_url: 'http://127.0.0.1', drain_delay: '0s', grace_period: '2s' },
  admin: { listen: '127.0.0.1:0' },
  reload: { watch: false },
  upstreams: { app: { url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` } },
  routes: [{ name: 'app', match: { path: '/' }, policy: 'authenticated', upstream: 'app' }],
  storage: store,
  sessions: { cookie: { secure: false, name: 'gh_session' } },
  auth: { local: { registration: 'open' }, throttle: { max_failures_per_ip: 100000 } },
  logging: { level: 'info' },
}));
const replicas = [await startReplica(configPath)];
replicas.push(...await Promise.all([startReplica(configPath), startReplica(configPath)]));
try {
  const tokens: string[] = [];
  for (let i = 0; i < userCount; i++) {
    // Registration answers 202 and signs nobody in (issue 12: no enumeration); the session comes from the login.
    const account = JSON.stringify({ email: `user${i}@bench.example`, password: 'a long enough passphrase' });
    const base = `http://127.0.0.1:${replicas[i % 3]!.port}/.gatehouse`;
    await (await request(`${base}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: account })).body.dump();
    const res = await request(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: account });
    tokens.push((await res.body.json() as { token: string }).token);
  }
  // Idle baseline: what three replicas cost the database with no traffic at all (change-feed polls).
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const idle0 = await databaseStatements(db);
  await new Promise((r) => setTimeout(r, 10_000));
  const idlePerSecond = (await databaseStatements(db) - idle0) / 10;

  const pools = replicas.map((r) => new Pool(`http://127.0.0.1:${r.port}`, { connections: Number(values.connections) }));
  const before = await databaseStatements(db);
  const metricsBefore = await Promise.all(replicas.map(async (r) => (await request(`http://127.0.0.1:${r.adminPort}/metrics`)).body.text()));
  let done = 0;
  let failed = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: Number(values.connections) }, async (_, worker) => {
    let i = worker;
    while (Date.now() < deadline) {
      const res = await pools[i % 3]!.request({ path: '/page', method: 'GET', headers: { authorization: `Bearer ${tokens[i % tokens.length]}` } });
      await res.body.dump();
      if (res.statusCode === 200) done++;
      else failed++;
      i += 7;
    }
  }));
  const elapsed = seconds;
  // PostgreSQL's statistics reach pg_stat_database up to a second late: let them settle, and count that second as idle.
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const after = await databaseStatements(db);
  const metricsAfter = await Promise.all(replicas.map(async (r) => (await request(`http://127.0.0.1:${r.adminPort}/metrics`)).body.text()));
  const hits = metricsAfter.reduce((n, t, i) => n + metric(t, 'gatehouse_session_cache_hits_total') - metric(metricsBefore[i]!, 'gatehouse_session_cache_hits_total'), 0);
  const misses = metricsAfter.reduce((n, t, i) => n + metric(t, 'gatehouse_session_cache_misses_total') - metric(metricsBefore[i]!, 'gatehouse_session_cache_misses_total'), 0);
  const statements = after - before;
  const pollStatements = idlePerSecond * (elapsed + SETTLE_MS / 1000);

  // Fan-out: revoke sessions on replica A, measure when B and C refuse them, and the database's extra work.
  const fanout: number[] = [];
  const revokeBefore = await databaseStatements(db);
  const revocations = 20;
  const revokeStarted = performance.now();
  for (let i = 0; i < revocations; i++) {
    const token = tokens[i]!;
    await request(`http://127.0.0.1:${replicas[0]!.port}/.gatehouse/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' }).then((r) => r.body.dump());
    const t0 = Date.now();
    for (;;) {
      const [b, c] = await Promise.all([1, 2].map(async (k) => (await request(`http://127.0.0.1:${replicas[k]!.port}/page`, { headers: { authorization: `Bearer ${token}` } })).statusCode));
      if (b === 401 && c === 401) break;
      if (Date.now() - t0 > 5000) break;
    }
    fanout.push(Date.now() - t0);
  }
  const revokeSeconds = (performance.now() - revokeStarted) / 1000;
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const revokeStatements = await databaseStatements(db) - revokeBefore - idlePerSecond * (revokeSeconds + SETTLE_MS / 1000);
  fanout.sort((x, y) => x - y);
  const report = {
    driver, machine: { cores: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    command: `node dist/bench/replicas.bench.js --driver ${driver} --seconds ${seconds} --users ${userCount} --connections ${values.connections}`,
    replicas: 3, users: userCount, seconds: elapsed,
    proxiedRequestsPerSecond: Math.round(done / elapsed), failed,
    cacheHitRate: Number((hits / Math.max(1, hits + misses)).toFixed(4)),
    databaseStatementsPerSecond: Math.round(statements / elapsed),
    idleStatementsPerSecond: Number(idlePerSecond.toFixed(1)),
    statementsPerProxiedRequest: Number(((statements - pollStatements) / Math.max(1, done)).toFixed(5)),
    revocationFanoutMs: { median: fanout[Math.floor(fanout.length / 2)], max: fanout.at(-1) },
    statementsPerRevocation: Number((revokeStatements / revocations).toFixed(1)),
    note: 'statements = committed transactions (PostgreSQL pg_stat_database) or Com_select+insert+update+delete (MySQL, server-wide); per request and per revocation net of the idle rate (change-feed polls, actors)',
  };
  console.log(JSON.stringify(report, null, 2));
  for (const p of pools) await p.close();
} finally {
  for (const r of replicas) r.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  upstream.close();
  rmSync(dir, { recursive: true, force: true });
  await db.drop();
}
