// The upstream queue tracker (src/admission/upstream-queue.ts) on an explicit clock: what counts as a standing
// queue for an upstream's connections, and what does not (a burst that drains, an idle upstream, a slow upstream
// whose requests still get connections at once).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamQueue } from '../../src/admission/upstream-queue.js';

const WINDOW = 100;
const TARGET = 20;

test('an idle upstream, and one whose requests get a connection at once however long they then take, have no queue', () => {
  const q = new UpstreamQueue(0);
  assert.equal(q.standing(WINDOW, TARGET, 0), 0);
  for (let t = 0; t < 500; t += 5) {
    assert.equal(q.standing(WINDOW, TARGET, t), 0);
    q.started(q.dispatched(t), t + 0.2); // written at once; the upstream may answer in a second, that is not a queue
  }
  assert.equal(q.waiting, 0);
  assert.equal(q.standing(WINDOW, TARGET, 1000), 0);
});

test('a burst whose first request got through at once sheds nothing while it drains', () => {
  const q = new UpstreamQueue(0);
  q.standing(WINDOW, TARGET, 200);
  const at = [0, 1, 2, 3].map(() => q.dispatched(200));
  q.started(at[0]!, 201);
  q.started(at[1]!, 240);
  assert.equal(q.standing(WINDOW, TARGET, 280), 0, 'a request got a connection quickly within the window');
  q.started(at[2]!, 290);
  q.started(at[3]!, 295);
  assert.equal(q.standing(WINDOW, TARGET, 400), 0, 'nothing waits');
});

test('a standing queue: nobody got through quickly for a window; the oldest waiting request\'s wait is the figure', () => {
  const q = new UpstreamQueue(0);
  q.standing(WINDOW, TARGET, 0);
  const first = q.dispatched(0);
  q.started(first, 1); // quick
  const waiting: number[] = [];
  for (let t = 10; t <= 150; t += 10) waiting.push(q.dispatched(t));
  // Every later start comes after a long wait.
  q.started(waiting.shift()!, 60);
  q.started(waiting.shift()!, 90);
  assert.equal(q.standing(WINDOW, TARGET, 100), 0, 'not a whole window since the quick one');
  assert.equal(q.standing(WINDOW, TARGET, 160), 160 - 30, 'the oldest still waiting arrived at 30');
  assert.equal(q.waiting, 13);
});

test('a queue that does not move at all counts from its oldest request; it ends when a request gets through quickly', () => {
  const q = new UpstreamQueue(0);
  q.standing(WINDOW, TARGET, 1000);
  const a = q.dispatched(1000);
  const b = q.dispatched(1005);
  assert.equal(q.standing(WINDOW, TARGET, 1080), 0, 'a queue that formed less than a window ago (a connection opening) is not judged');
  assert.equal(q.standing(WINDOW, TARGET, 1150), 150);
  q.started(a, 1160);
  const c = q.dispatched(1170);
  q.started(c, 1175); // out of order, and quick: a connection is free again
  assert.equal(q.standing(WINDOW, TARGET, 1180), 0);
  q.started(b, 1200);
  assert.equal(q.waiting, 0);
});
