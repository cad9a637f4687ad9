// The domain event bus: typed fan-out in subscription order, unsubscribe, a background failure reported (never
// thrown at the publisher), a synchronous refusal heard by the publisher after every listener ran.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from '../../src/events/event-bus.js';

interface Events { ping: { n: number }; other: { s: string } }

test('listeners hear their type, in subscription order, until they unsubscribe', () => {
  const bus = new EventBus<Events>(() => assert.fail('no listener fails here'));
  const heard: string[] = [];
  bus.on('ping', (e) => { heard.push(`a${e.n}`); });
  const off = bus.on('ping', (e) => { heard.push(`b${e.n}`); });
  bus.on('other', (e) => { heard.push(`other:${e.s}`); });
  bus.publish('ping', { n: 1 });
  off();
  bus.publish('ping', { n: 2 });
  bus.publish('other', { s: 'x' });
  assert.deepEqual(heard, ['a1', 'b1', 'a2', 'other:x']);
});

test('failures: a rejection is reported; a synchronous throw reaches the publisher after every listener ran', async () => {
  const reported: [unknown, string][] = [];
  const bus = new EventBus<Events>((err, type) => reported.push([(err as Error).message, String(type)]));
  const ran: string[] = [];
  bus.on('ping', async () => { ran.push('async'); throw new Error('background'); });
  bus.on('ping', () => { ran.push('refuses'); throw new Error('queue full'); });
  bus.on('ping', () => { ran.push('after'); throw new Error('second'); });
  assert.throws(() => bus.publish('ping', { n: 1 }), /queue full/, 'the first synchronous failure');
  assert.deepEqual(ran, ['async', 'refuses', 'after'], 'every listener ran');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(reported, [['background', 'ping']]);
  assert.doesNotThrow(() => bus.publish('other', { s: 'nobody listens' }));
});
