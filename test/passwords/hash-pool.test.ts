import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { verifySync } from '@node-rs/argon2';
import { authSchema, type AuthConfig } from '../../src/auth/config-schema.js';
import { createHashPool, threadPoolSizeFor, type HashPool } from '../../src/auth/passwords/hash-pool.js';
import { GatehouseError, isGatehouseError } from '../../src/errors/index.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';

/** Cheap parameters where the test is about admission, not cost; OWASP's where the cost matters. */
const FAST = { memory_kib: 8192, iterations: 1, parallelism: 1 };
const OWASP = { memory_kib: 19_456, iterations: 2, parallelism: 1 };

function hashConfig(overrides: Partial<AuthConfig['hash']>): AuthConfig['hash'] {
  return { ...authSchema.parse({}).hash, ...overrides };
}

function pool(overrides: Partial<AuthConfig['hash']>, metrics: Metrics = createMetrics()): { pool: HashPool; metrics: Metrics } {
  return { pool: createHashPool({ config: hashConfig(overrides), metrics }), metrics };
}

async function value(metric: { get(): Promise<{ values: { value: number; labels: Record<string, unknown>; metricName?: string }[] }> }, filter?: (l: Record<string, unknown>, name?: string) => boolean): Promise<number> {
  const got = await metric.get();
  return got.values.filter((v) => !filter || filter(v.labels, v.metricName)).reduce((a, v) => a + v.value, 0);
}

const isPoolFull = (err: unknown): boolean =>
  err instanceof GatehouseError && err.code === 'GATE_ERR_HASH_POOL_FULL' && err.status === 429 && err.expose;

describe('hash pool', () => {
  test('threadPoolSizeFor: one libuv thread per permit plus two for fs and dns, at least libuv\'s 4', () => {
    assert.equal(threadPoolSizeFor(1), 4);
    assert.equal(threadPoolSizeFor(2), 4);
    assert.equal(threadPoolSizeFor(8), 10);
    assert.equal(threadPoolSizeFor(2000), 1024);
  });

  test('hashes with Argon2id at the configured parameters and verifies', async () => {
    const { pool: p, metrics } = pool({ ...FAST, concurrency: 2, queue: 2 });
    const h = await p.hash('correct horse battery staple');
    assert.match(h, /^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
    assert.equal(await p.verify(h, 'correct horse battery staple'), true);
    assert.equal(await p.verify(h, 'correct horse battery stapler'), false);
    assert.equal(await value(metrics.hashPoolSize), 2);
    assert.equal(await value(metrics.hashDuration, (l, n) => l['operation'] === 'hash' && n?.endsWith('_count') === true), 1);
    assert.equal(await value(metrics.hashDuration, (l, n) => l['operation'] === 'verify' && n?.endsWith('_count') === true), 2);
    assert.equal(p.stats().inUse, 0);
  });

  test('pool full: further operations are refused at once with GATE_ERR_HASH_POOL_FULL (429), counted exactly', async () => {
    const { pool: p, metrics } = pool({ ...OWASP, concurrency: 1, queue: 1, queue_timeout: 60_000 });
    const stored = await p.hash('hunter2hunter2');
    const settled: string[] = [];
    // One runs, one waits: the pool's whole capacity.
    const running = p.verify(stored, 'hunter2hunter2').then((ok) => { settled.push('running'); return ok; });
    const queued = p.verify(stored, 'wrong-password').then((ok) => { settled.push('queued'); return ok; });
    assert.deepEqual([p.stats().inUse, p.stats().queueDepth], [1, 1]);
    assert.equal(await value(metrics.hashPoolSaturation), 1);
    assert.equal(await value(metrics.hashPoolQueueDepth), 1);

    const extra = [p.verify(stored, 'x'), p.hash('y'), p.dummyVerify('z'), p.verify(stored, 'x'), p.hash('y')];
    const outcomes = await Promise.allSettled(extra);
    // Refused before the work in front of them finished: "at once" by ordering, not by a clock.
    assert.deepEqual(settled, []);
    for (const o of outcomes) {
      assert.equal(o.status, 'rejected');
      assert.ok(isPoolFull(o.reason), String(o.reason));
    }
    assert.equal(await value(metrics.hashPoolRejected), 5);
    assert.equal(p.stats().rejected, 5);

    assert.equal(await running, true);
    assert.equal(await queued, false);
    assert.deepEqual(settled, ['running', 'queued']);
    assert.deepEqual([p.stats().inUse, p.stats().queueDepth], [0, 0]);
    assert.equal(await value(metrics.hashPoolSaturation), 0);
    assert.equal(await p.verify(stored, 'hunter2hunter2'), true, 'accepted again once there is room');
    assert.equal(await value(metrics.hashPoolRejected), 5);
  });

  test('a queued operation that waits past queue_timeout is refused with 429 too (not counted as at-once)', async () => {
    // Heavy parameters in front so the 1 ms wait certainly runs out first.
    const { pool: p, metrics } = pool({ memory_kib: 65_536, iterations: 4, parallelism: 1, concurrency: 1, queue: 1, queue_timeout: 1 });
    const front = p.hash('front-of-the-line');
    await assert.rejects(p.verify('$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', 'x'), isPoolFull);
    await front;
    assert.equal(p.stats().timedOut, 1);
    assert.equal(await value(metrics.hashPoolRejected), 0);
  });

  test('verification never runs on the main thread: the event loop keeps turning while a verify is pending', async () => {
    const { pool: p } = pool({ ...OWASP, concurrency: 1, queue: 0 });
    const stored = await p.hash('off-the-loop');
    const turnsDuring = async (work: () => Promise<unknown>): Promise<number> => {
      let turns = 0;
      let done = false;
      const spin = (async () => { while (!done) { await nextTurn(); turns++; } })();
      const before = turns;
      await work();
      const during = turns - before;
      done = true;
      await spin;
      return during;
    };
    // Control: the same verify run synchronously on this thread lets the loop turn at most once (the work blocks
    // it, then resolves). This proves the measure can tell the two apart.
    const syncTurns = await turnsDuring(async () => verifySync(stored, 'off-the-loop'));
    assert.ok(syncTurns <= 1, `control: a sync verify allowed ${syncTurns} turns`);
    // The pool: the verify runs on a hashing thread while this thread keeps serving its loop.
    const results: boolean[] = [];
    const poolTurns = await turnsDuring(async () => { results.push(await p.verify(stored, 'off-the-loop')); });
    assert.deepEqual(results, [true]);
    assert.ok(poolTurns >= 5, `the loop turned only ${poolTurns} times during an async verify`);
    const dummyTurns = await turnsDuring(() => p.dummyVerify('anything'));
    assert.ok(dummyTurns >= 5, `the loop turned only ${dummyTurns} times during dummyVerify`);
  });

  test('the hashing threads lower their own OS priority: /proc shows them at nice 19, the event loop\'s thread unchanged', async (t) => {
    if (!existsSync('/proc/self/task')) { t.skip('no /proc: not Linux'); return; }
    // Field 19 of /proc/<pid>/task/<tid>/stat is the task's nice; on Linux each thread is a task with its own.
    const niceOf = (tid: string): number => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const tasksAt = (nice: number): string[] => readdirSync('/proc/self/task').filter((tid) => niceOf(tid) === nice);
    const before = new Set(tasksAt(19));
    const mainNice = getPriority(0);
    const { pool: p } = pool({ ...FAST, concurrency: 2, queue: 2 });
    try {
      // Two at once so both threads start.
      assert.deepEqual((await Promise.all([p.hash('one'), p.hash('two')])).map((h) => h.startsWith('$argon2id$')), [true, true]);
      assert.deepEqual(p.threads().map((x) => x.nice), [19, 19], 'each thread read back nice 19');
      const lowered = tasksAt(19).filter((tid) => !before.has(tid));
      assert.equal(lowered.length, 2, `tasks newly at nice 19: ${lowered.join(', ')}`);
      assert.equal(niceOf(String(process.pid)), mainNice, 'the event loop\'s thread keeps its priority');
      assert.equal(getPriority(0), mainNice);
    } finally {
      await p.close();
    }
    const { pool: equal } = pool({ ...FAST, concurrency: 1, queue: 1, nice: 0 });
    assert.equal(await equal.verify(await equal.hash('x'), 'x'), true);
    assert.deepEqual(equal.threads().map((x) => x.nice), [mainNice], 'nice: 0 leaves the threads at the process\'s priority');
    await equal.close();
  });

  test('close() stops the threads; an idle pool never holds the process open', async () => {
    const { pool: p } = pool({ ...FAST, concurrency: 1, queue: 1 });
    assert.equal(await p.verify(await p.hash('x'), 'x'), true);
    assert.equal(p.threads().length, 1);
    await p.close();
    assert.equal(p.threads().length, 0);
  });

  test('needsRehash: true when the parameters or the algorithm differ, false for the current ones', async () => {
    const { pool: old } = pool({ ...FAST, concurrency: 2, queue: 2 });
    const { pool: current } = pool({ ...FAST, iterations: 2, concurrency: 2, queue: 2 });
    const oldHash = await old.hash('rotate me please');
    const newHash = await current.hash('rotate me please');
    assert.equal(old.needsRehash(oldHash), false);
    assert.equal(current.needsRehash(oldHash), true);
    assert.equal(current.needsRehash(newHash), false);
    assert.equal(await current.verify(oldHash, 'rotate me please'), true, 'old hashes still verify');
    const { pool: moreMemory } = pool({ ...FAST, memory_kib: 16_384, iterations: 2, concurrency: 2, queue: 2 });
    assert.equal(moreMemory.needsRehash(newHash), true);
    assert.equal(current.needsRehash('$argon2i$v=19$m=8192,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'), true);
    assert.equal(current.needsRehash('$2b$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZa'), true, 'bcrypt import');
    assert.equal(current.needsRehash('garbage'), true);
  });

  test('dummyVerify answers false and costs one verify at the current parameters', async () => {
    const { pool: p, metrics } = pool({ ...FAST, concurrency: 1, queue: 1 });
    assert.equal(await p.dummyVerify('whatever was typed'), false);
    assert.equal(await p.dummyVerify(''), false);
    assert.equal(await value(metrics.hashDuration, (l, n) => l['operation'] === 'verify' && n?.endsWith('_count') === true), 2);
  });

  test('no truncation: passwords differing only after 100 characters verify differently', async () => {
    const { pool: p } = pool({ ...FAST, concurrency: 2, queue: 2 });
    const prefix = 'a'.repeat(150);
    const h = await p.hash(`${prefix}X`);
    assert.equal(await p.verify(h, `${prefix}X`), true);
    assert.equal(await p.verify(h, `${prefix}Y`), false);
    assert.equal(await p.verify(h, prefix), false);
    const long = '🔑'.repeat(1024);
    const hl = await p.hash(long);
    assert.equal(await p.verify(hl, long), true);
    assert.equal(await p.verify(hl, `${'🔑'.repeat(1023)}🔒`), false);
  });

  test('Unicode: composed and decomposed forms of the same password verify (NFKC)', async () => {
    const { pool: p } = pool({ ...FAST, concurrency: 2, queue: 2 });
    const composed = 'caf\u00e9-cr\u00e8me-br\u00fbl\u00e9e';
    const decomposed = composed.normalize('NFD');
    assert.notEqual(composed, decomposed);
    const h = await p.hash(composed);
    assert.equal(await p.verify(h, decomposed), true);
  });

  test('an unreadable stored hash is an internal error, not a wrong password', async () => {
    const { pool: p } = pool({ ...FAST, concurrency: 1, queue: 1 });
    await assert.rejects(p.verify('not-a-hash', 'x'), (err: unknown) => isGatehouseError(err) && err.code === 'GATE_ERR_INTERNAL');
    assert.equal(p.stats().inUse, 0, 'the permit is given back');
  });
});
