// Login storm: the hash pool under far more concurrent password checks than it admits, beside the raw async Argon2
// verify rate of the same machine measured in the same run (the competitor: no admission at all).
// Run: npx tsc -p . && node dist/bench/login-storm.bench.js [seconds-per-phase=5] [storm-multiplier=10] [rounds=3]
//
// Phases, each `seconds` long (raw and storm alternated `rounds` times; loop-delay figures are the worst round), at OWASP parameters (m=19456 KiB, t=2, p=1):
//   sync   the story's "before": verifySync on the main thread (event-loop delay shows what every request would wait)
//   raw    @node-rs/argon2's async verify with `cores` callers in a loop, no pool: the machine's ceiling
//   storm  createHashPool (concurrency = cores, queue = 2 x cores) with multiplier x (concurrency + queue) callers in a
//          loop; a refused caller (429) waits its Retry-After stand-in (25 ms) and tries again, like a browser would
// Target: storm accepted/s >= 90% of raw; every refusal a 429 (GATE_ERR_HASH_POOL_FULL), never anything else.
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { hash, verify, verifySync } from '@node-rs/argon2';
import { authSchema } from '../src/auth/config-schema.js';
import { createHashPool, threadPoolSizeFor } from '../src/auth/passwords/hash-pool.js';
import { isGatehouseError } from '../src/errors/index.js';
import { createMetrics } from '../src/metrics/metrics.js';

const seconds = Number(process.argv[2] ?? 5);
const multiplier = Number(process.argv[3] ?? 10);
const rounds = Number(process.argv[4] ?? 3);
const cores = availableParallelism();
// libuv sizes its pool at first use; nothing above has queued work yet. bin/gatehouse.js does the same.
process.env['UV_THREADPOOL_SIZE'] ??= String(threadPoolSizeFor(cores));

const config = authSchema.parse({ hash: { concurrency: cores, queue: cores * 2, queue_timeout: '2s' } }).hash;
const PASSWORD = 'correct horse battery staple';
const RETRY_AFTER_MS = 25;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `phase` for `seconds` while sampling event-loop delay; returns its result plus the delay p99 in ms. */
async function measured<T>(phase: (until: number) => Promise<T>): Promise<T & { loopP99Ms: number; loopMaxMs: number; elapsedS: number }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const t0 = performance.now();
  const result = await phase(t0 + seconds * 1000);
  const elapsedS = (performance.now() - t0) / 1000;
  h.disable();
  return { ...result, loopP99Ms: h.percentile(99) / 1e6, loopMaxMs: h.max / 1e6, elapsedS };
}

const stored = await hash(PASSWORD, { memoryCost: config.memory_kib, timeCost: config.iterations, parallelism: config.parallelism });
console.log(`login storm: node ${process.version}, ${cores} cores, UV_THREADPOOL_SIZE=${process.env['UV_THREADPOOL_SIZE']}, ` +
  `argon2id m=${config.memory_kib} t=${config.iterations} p=${config.parallelism}, ${seconds}s per phase`);

// ---- sync: the main thread does the work (a short phase: it is the anti-pattern) ----
const sync = await measured(async (until) => {
  let done = 0;
  const end = Math.min(until, performance.now() + 1000);
  // Yield between verifies so the loop-delay sampler can observe the stalls.
  while (performance.now() < end) { verifySync(stored, PASSWORD); done++; await sleep(0); }
  return { done };
});

// ---- raw and storm, alternated for `rounds` rounds so a change in machine load hits both alike ----
const pool = createHashPool({ config, metrics: createMetrics() });
const capacity = config.concurrency + config.queue;
const callers = capacity * multiplier;
const totals = {
  raw: { done: 0, elapsedS: 0, loopP99Ms: 0, loopMaxMs: 0 },
  storm: { accepted: 0, refused: 0, other: 0, elapsedS: 0, loopP99Ms: 0, loopMaxMs: 0, latencies: [] as number[] },
};
for (let round = 0; round < rounds; round++) {
  const raw = await measured(async (until) => {
    let done = 0;
    await Promise.all(Array.from({ length: cores }, async () => {
      while (performance.now() < until) { await verify(stored, PASSWORD); done++; }
    }));
    return { done };
  });
  const storm = await measured(async (until) => {
    let accepted = 0;
    let refused = 0;
    let other = 0;
    const latencies: number[] = [];
    await Promise.all(Array.from({ length: callers }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        try {
          if (!await pool.verify(stored, PASSWORD)) other++;
          accepted++;
          latencies.push(performance.now() - t);
        } catch (err) {
          if (isGatehouseError(err) && err.code === 'GATE_ERR_HASH_POOL_FULL' && err.status === 429) refused++;
          else other++;
          await sleep(RETRY_AFTER_MS * (0.5 + Math.random()));
        }
      }
    }));
    return { accepted, refused, other, latencies };
  });
  totals.raw.done += raw.done;
  totals.raw.elapsedS += raw.elapsedS;
  totals.raw.loopP99Ms = Math.max(totals.raw.loopP99Ms, raw.loopP99Ms);
  totals.raw.loopMaxMs = Math.max(totals.raw.loopMaxMs, raw.loopMaxMs);
  totals.storm.accepted += storm.accepted;
  totals.storm.refused += storm.refused;
  totals.storm.other += storm.other;
  totals.storm.elapsedS += storm.elapsedS;
  totals.storm.loopP99Ms = Math.max(totals.storm.loopP99Ms, storm.loopP99Ms);
  totals.storm.loopMaxMs = Math.max(totals.storm.loopMaxMs, storm.loopMaxMs);
  totals.storm.latencies.push(...storm.latencies);
  console.log(`round ${round + 1}: raw ${(raw.done / raw.elapsedS).toFixed(0)}/s, pool ${(storm.accepted / storm.elapsedS).toFixed(0)}/s`);
}
const raw = totals.raw;
const storm = totals.storm;
storm.latencies.sort((a, b) => a - b);
const p50 = percentile(storm.latencies, 50);
const p95 = percentile(storm.latencies, 95);

const rawRate = raw.done / raw.elapsedS;
const stormRate = storm.accepted / storm.elapsedS;
const rows: [string, string, string, string][] = [
  ['phase', 'verifies/s', 'loop delay p99 / max (ms)', 'notes'],
  ['sync (main thread)', (sync.done / sync.elapsedS).toFixed(0), `${sync.loopP99Ms.toFixed(1)} / ${sync.loopMaxMs.toFixed(1)}`, 'the story\'s "before"; every request waits this'],
  ['raw async, no pool', rawRate.toFixed(0), `${raw.loopP99Ms.toFixed(1)} / ${raw.loopMaxMs.toFixed(1)}`, `${cores} callers`],
  ['pool under storm', stormRate.toFixed(0), `${storm.loopP99Ms.toFixed(1)} / ${storm.loopMaxMs.toFixed(1)}`,
    `${callers} callers (${multiplier}x capacity ${capacity}); ${(100 * stormRate / rawRate).toFixed(1)}% of raw`],
];
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
const attempts = storm.accepted + storm.refused + storm.other;
console.log(`storm: accepted ${storm.accepted}, refused 429 ${storm.refused} (${(100 * storm.refused / attempts).toFixed(1)}% of attempts), ` +
  `other errors ${storm.other}; accepted latency p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (wait + verify)`);
console.log(`target: pool >= 90% of raw -> ${stormRate >= 0.9 * rawRate ? 'MET' : 'MISSED'}; non-429 errors: ${storm.other === 0 ? 'none' : storm.other}`);
console.log(`command: node dist/bench/login-storm.bench.js ${seconds} ${multiplier} ${rounds}`);
