import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Semaphore, SemaphoreError, isSemaphoreError, type SemaphoreState } from '../../src/admission/semaphore.js';

/** Whether `p` has settled by the time the event loop turns once (no timer of ours can fire that soon). */
async function settledNow(p: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> {
  let state: 'resolved' | 'rejected' | 'pending' = 'pending';
  p.then(() => { state = 'resolved'; }, () => { state = 'rejected'; });
  await nextTurn();
  return state;
}

describe('Semaphore', () => {
  test('tryAcquire takes up to size permits, then refuses at once; release gives one back (once)', () => {
    const s = new Semaphore({ size: 2, queue: 0 });
    const a = s.tryAcquire();
    const b = s.tryAcquire();
    assert.ok(a && b);
    assert.equal(s.tryAcquire(), undefined);
    assert.equal(s.inUse, 2);
    a();
    a(); // idempotent: a second call must not free a permit someone else holds
    assert.equal(s.inUse, 1);
    assert.ok(s.tryAcquire());
    assert.equal(s.tryAcquire(), undefined);
  });

  test('waiters get permits in FIFO order, handed over directly (no barging by tryAcquire)', async () => {
    const s = new Semaphore({ size: 1, queue: 3 });
    const first = s.tryAcquire()!;
    const order: number[] = [];
    const waits = [1, 2, 3].map((i) => s.acquire(60_000).then((release) => { order.push(i); return release; }));
    assert.equal(s.queueDepth, 3);
    first();
    // The permit went to waiter 1, not back to the pool: a newcomer cannot overtake the queue.
    assert.equal(s.inUse, 1);
    assert.equal(s.tryAcquire(), undefined);
    const r1 = await waits[0]!;
    r1();
    const r2 = await waits[1]!;
    r2();
    const r3 = await waits[2]!;
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal(s.queueDepth, 0);
    r3();
    assert.equal(s.inUse, 0);
  });

  test('a full queue rejects at once with SEMAPHORE_QUEUE_FULL, not after the timeout', async () => {
    const s = new Semaphore({ size: 1, queue: 2 });
    const held = s.tryAcquire()!;
    const queued = [s.acquire(60_000), s.acquire(60_000)];
    const over = s.acquire(60_000);
    assert.equal(await settledNow(over), 'rejected');
    await assert.rejects(over, (err: unknown) => isSemaphoreError(err, 'SEMAPHORE_QUEUE_FULL'));
    assert.equal(s.queueDepth, 2);
    held();
    (await queued[0]!)();
    (await queued[1]!)();
  });

  test('queue 0: acquire is a try-acquire that rejects', async () => {
    const s = new Semaphore({ size: 1, queue: 0 });
    const held = s.tryAcquire()!;
    await assert.rejects(s.acquire(60_000), (err: unknown) => isSemaphoreError(err, 'SEMAPHORE_QUEUE_FULL'));
    held();
    (await s.acquire(60_000))();
  });

  test('a wait that runs out rejects with SEMAPHORE_TIMEOUT and leaves the queue', async () => {
    const s = new Semaphore({ size: 1, queue: 1 });
    const held = s.tryAcquire()!;
    await assert.rejects(s.acquire(5), (err: unknown) => err instanceof SemaphoreError && err.code === 'SEMAPHORE_TIMEOUT');
    assert.equal(s.queueDepth, 0);
    held();
    assert.equal(s.inUse, 0, 'the timed-out waiter must not have been handed the permit');
  });

  test('an abort signal removes the waiter', async () => {
    const s = new Semaphore({ size: 1, queue: 1 });
    const held = s.tryAcquire()!;
    const ac = new AbortController();
    const waiting = s.acquire(60_000, ac.signal);
    assert.equal(s.queueDepth, 1);
    ac.abort(new Error('client went away'));
    await assert.rejects(waiting, (err: unknown) => isSemaphoreError(err, 'SEMAPHORE_ABORTED'));
    assert.equal(s.queueDepth, 0);
    await assert.rejects(s.acquire(60_000, ac.signal), (err: unknown) => isSemaphoreError(err, 'SEMAPHORE_ABORTED'));
    held();
    assert.equal(s.inUse, 0);
  });

  test('onChange reports every change of inUse and queueDepth', async () => {
    const seen: SemaphoreState[] = [];
    const s = new Semaphore({ size: 1, queue: 1, onChange: (st) => seen.push(st) });
    const r = s.tryAcquire()!;
    const w = s.acquire(60_000);
    r();
    (await w)();
    assert.deepEqual(seen.map((x) => [x.inUse, x.queueDepth]), [[0, 0], [1, 0], [1, 1], [1, 0], [0, 0]]);
  });

  test('misuse is a TypeError', () => {
    assert.throws(() => new Semaphore({ size: 0, queue: 1 }), TypeError);
    assert.throws(() => new Semaphore({ size: 1, queue: -1 }), TypeError);
  });
});
