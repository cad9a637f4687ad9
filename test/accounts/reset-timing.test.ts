// Whether an account exists cannot be told from the "forgot password" answer or its timing: 50 requests for a
// known address and 50 for unknown ones, interleaved (so drift on a shared machine hits both alike), answer alike
// and take the same time on average. The bound is statistical, not a speed claim: the difference of the means (20%
// trimmed at each end) must stay within 3.5 standard errors plus 0.5 ms. Looking the account up and queuing its mail
// on the request's path (a user read, then a transaction, for known addresses only) fails it: measured here, such a
// difference came out at 4.8 to 9.4 standard errors, the deferred design at -1.6 to 1.6.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sqliteDatabase, type TestDatabase } from '../store/databases.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { address, register, startAccountsWorld, type AccountsWorld } from './accounts-world.js';

const TRIES = 50;

let db: TestDatabase;
let world: AccountsWorld;

before(async () => {
  db = sqliteDatabase();
  world = await startAccountsWorld(db, {
    server: { trusted_proxies: ['127.0.0.1'] },
    accounts: { password_reset: { max_per_account: 1000, max_per_ip: 1000 } },
    mail: { outbox: { deliver: false } },
  });
});
after(async () => {
  await world?.stop();
  await db?.drop();
});

/** Mean and standard deviation of the middle 60% (20% trimmed at each end: a busy machine's spikes are not timing). */
function stats(samples: number[]): { mean: number; sd: number; n: number } {
  const cut = Math.floor(samples.length * 0.2);
  const kept = [...samples].sort((a, b) => a - b).slice(cut, samples.length - cut);
  const mean = kept.reduce((s, x) => s + x, 0) / kept.length;
  const sd = Math.sqrt(kept.reduce((s, x) => s + (x - mean) ** 2, 0) / (kept.length - 1));
  return { mean, sd, n: kept.length };
}

/**
 * The client runs in a child process: in this process it would share the event loop with the work Gatehouse does
 * after answering, and measure that work as if it were part of the answer. It pauses 40 ms between requests so what
 * follows one answer is over before the next request starts, and prints one line per request: "<which> <status> <ms> <body>".
 */
const CLIENT = `
import http from 'node:http';
const [port, known, unknown, tries] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const ask = (email) => new Promise((resolve, reject) => {
  const body = JSON.stringify({ email });
  const started = performance.now();
  const req = http.request({ host: '127.0.0.1', port: Number(port), method: 'POST', path: '/.gatehouse/forgot-password', agent,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-forwarded-for': '203.0.113.50' } }, (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c) => { text += c; });
    res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode, text }));
  });
  req.on('error', reject);
  req.end(body);
});
const pause = () => new Promise((r) => setTimeout(r, 40));
for (let i = 0; i < 5; i++) { await ask(known); await pause(); await ask(unknown); await pause(); }
for (let i = 0; i < Number(tries); i++) {
  for (const which of i % 2 === 0 ? ['known', 'unknown'] : ['unknown', 'known']) {
    const r = await ask(which === 'known' ? known : unknown);
    console.log(which, r.status, r.ms.toFixed(3), r.text);
    await pause();
  }
}
agent.destroy();
`;

test('known and unknown addresses: the same answer, and the same time on average (50 tries each)', { timeout: 180_000 }, async () => {
  const known = address('timing');
  const unknown = address('nobody');
  await register(world.gh, known);
  const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT, String(world.gh.port), known, unknown, String(TRIES)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c: string) => { out += c; });
  const [code] = await once(child, 'exit') as [number];
  assert.equal(code, 0, 'the timing client ran');
  const times = { known: [] as number[], unknown: [] as number[] };
  for (const line of out.trim().split('\n')) {
    const [which, status, ms, ...body] = line.split(' ');
    assert.equal(status, '202');
    assert.equal(body.join(' '), '{"status":"accepted"}');
    times[which as 'known' | 'unknown'].push(Number(ms));
  }
  assert.equal(times.known.length, TRIES);
  assert.equal(times.unknown.length, TRIES);
  const k = stats(times.known);
  const u = stats(times.unknown);
  const se = Math.sqrt(k.sd ** 2 / k.n + u.sd ** 2 / u.n);
  const diff = Math.abs(k.mean - u.mean);
  console.log(`forgot-password answer time over ${TRIES} tries: known ${k.mean.toFixed(2)} ms (sd ${k.sd.toFixed(2)}), unknown ${u.mean.toFixed(2)} ms (sd ${u.sd.toFixed(2)}); difference ${diff.toFixed(2)} ms, bound ${(3.5 * se + 0.5).toFixed(2)} ms`);
  assert.ok(diff <= 3.5 * se + 0.5, `the means differ by ${diff.toFixed(2)} ms, more than 3.5 standard errors (${(3.5 * se).toFixed(2)} ms) + 0.5 ms`);
  await world.gh.auth.selfService.deps.deferred.idle();
  const queued = await world.gh.store.mailOutbox.listForAddress(known, { limit: 500 });
  assert.ok(queued.items.filter((m) => m.template === 'reset-password').length >= TRIES, 'every known request did queue its mail, after the answer');
});
