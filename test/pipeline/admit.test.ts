// Stage 1, admit: the in-flight bound counts every request (shed ones too, until they end) and refuses past the
// bound with a 503 that carries Retry-After; the event-loop delay check sheds the low-priority classes past one
// target and everything past the other; the class is asked only when a check presses. And the delay probe itself
// sees a blocked loop at once and forgets it a probe interval later.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdmission, eventLoopDelayCheck, inFlightBound, type RequestClass } from '../../src/pipeline/1-admit/admit.js';
import { EventLoopDelay } from '../../src/admission/event-loop-delay.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { sample } from '../helpers/core-net.js';
import { closeTable, tableOf } from './helpers.js';

const ROUTES = [{ name: 'all', policy: 'public', upstream: 'app' }];

test('the in-flight bound: a table of enter/leave sequences and what each enter answers', async () => {
  // `+` enters (expecting admit `a` or shed `s`), `-` leaves one.
  const cases: { max: number; steps: string; shedTotal: number }[] = [
    { max: 1, steps: '+a -', shedTotal: 0 },
    { max: 1, steps: '+a +s - -', shedTotal: 1 },
    { max: 2, steps: '+a +a +s +s - - +s - - +a', shedTotal: 3 },
    { max: 2, steps: '+a +a - +a - - +a +a +s', shedTotal: 1 },
  ];
  for (const { max, steps, shedTotal } of cases) {
    const metrics = createMetrics();
    const table = tableOf(ROUTES, { max_in_flight: max });
    const admission = createAdmission({ metrics });
    let open = 0;
    for (const step of steps.split(' ')) {
      if (step === '-') {
        admission.leave();
        open--;
        continue;
      }
      const refusal = admission.enter(table, () => 'session');
      open++;
      if (step === '+a') assert.equal(refusal, undefined, `max ${max}, ${steps}: admitted at ${open}`);
      else {
        assert.equal(refusal?.error.status, 503, `max ${max}, ${steps}: shed at ${open}`);
        assert.equal(refusal?.error.code, 'GATE_ERR_OVERLOADED');
        assert.equal(refusal?.error.retryAfterSeconds, 1);
        assert.equal(refusal?.reason, 'in_flight');
        assert.equal(refusal?.requestClass, 'session', 'whatever its class');
      }
      assert.equal(admission.inFlight(), open, 'a shed request counts until it ends');
    }
    const text = await metrics.registry.metrics();
    assert.equal(sample(text, 'gatehouse_load_shed_total', { reason: 'in_flight', class: 'session' }) ?? 0, shedTotal, `${steps}: shed count`);
    assert.equal(sample(text, 'gatehouse_in_flight_requests'), open, 'the gauge reads the count on a scrape');
    await closeTable(table);
  }
});

test('event-loop delay: below the low target all pass; between the targets the low classes are shed; past the target, all', async () => {
  const table = tableOf(ROUTES, { max_in_flight: 100, admission: { shed_delay: '40ms', shed_delay_low_priority: '20ms', retry_after: '3s' } });
  let delay = 0;
  const metrics = createMetrics();
  const admission = createAdmission({ metrics, checks: [inFlightBound, eventLoopDelayCheck({ standing: () => delay })] });
  const classes: RequestClass[] = ['public', 'session', 'anonymous', 'gatehouse'];
  // delay (ms) -> which classes are admitted
  const rows: [number, RequestClass[]][] = [
    [0, classes], [19.9, classes], [20, ['public', 'session']], [39, ['public', 'session']], [40, []], [500, []],
  ];
  const expected = new Map<string, number>();
  for (const [ms, admitted] of rows) {
    delay = ms;
    for (const cls of classes) {
      let asked = 0;
      const refusal = admission.enter(table, () => { asked++; return cls; });
      admission.leave();
      assert.equal(refusal === undefined, admitted.includes(cls), `${ms} ms, ${cls}`);
      assert.equal(asked, ms < 20 ? 0 : 1, `${ms} ms, ${cls}: the class is asked only under pressure, once`);
      if (refusal !== undefined) {
        assert.equal(refusal.reason, 'event_loop_delay');
        assert.equal(refusal.error.retryAfterSeconds, 3);
        expected.set(cls, (expected.get(cls) ?? 0) + 1);
      }
    }
  }
  const text = await metrics.registry.metrics();
  for (const cls of classes) {
    assert.equal(sample(text, 'gatehouse_load_shed_total', { reason: 'event_loop_delay', class: cls }) ?? 0, expected.get(cls) ?? 0, cls);
  }
  assert.deepEqual(Object.fromEntries(expected), { public: 2, session: 2, anonymous: 4, gatehouse: 4 });
  assert.equal(admission.inFlight(), 0);
  await closeTable(table);
});

test('the in-flight bound refuses before the delay check is asked', async () => {
  const table = tableOf(ROUTES, { max_in_flight: 1 });
  let asked = 0;
  const admission = createAdmission({ metrics: createMetrics(), checks: [inFlightBound, eventLoopDelayCheck({ standing: () => { asked++; return 0; } })] });
  assert.equal(admission.enter(table, () => 'public'), undefined);
  assert.equal(admission.enter(table, () => 'public')?.reason, 'in_flight');
  assert.equal(asked, 1, 'only the first request reached the delay check');
  await closeTable(table);
});

test('the delay probe: a stall longer than the window is seen while blocked and after; it is forgotten a probe later; a short burst is not', async () => {
  const samples: number[] = [];
  let standingAtSample = 0;
  const probe: EventLoopDelay = new EventLoopDelay({ intervalMs: 10, warmUpMs: 0, onSample: (ms) => {
    samples.push(ms);
    if (ms >= 280) standingAtSample = probe.standing();
  } });
  assert.equal(probe.standing(), 0, 'not started: 0');
  probe.start();
  try {
    // Thresholds leave room for a shared, busy machine (the probe also sees the CPU it does not get).
    await sleep(50);
    probe.takeMax();
    const end = performance.now() + 300;
    while (performance.now() < end) { /* blocked */ }
    assert.ok(probe.standing() >= 280, `inside the stall the next probe is late already: ${probe.standing()} ms`);
    await sleep(0);
    assert.ok(samples.some((ms) => ms >= 280), 'the probe sampled it');
    assert.ok(standingAtSample >= 280, `the turn of the late sample (what queued during the stall is read then) sees it: ${standingAtSample} ms`);
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.ok(probe.standing() < 100, `turns later, with the probe on time again, the stall no longer counts: ${probe.standing()} ms`);
    await sleep(100);
    assert.ok(probe.standing() < 150, `a few probes later it is gone: ${probe.standing()} ms`);
    assert.ok(probe.takeMax() >= 280, 'the largest delay since the last read');
    assert.ok(probe.takeMax() < 150, 'and it starts over');
    // A burst shorter than the window: the samples before it still stand in the window.
    await sleep(150);
    const burstEnd = performance.now() + 50;
    while (performance.now() < burstEnd) { /* a short burst */ }
    await sleep(0);
    assert.ok(probe.standing() < 40, `a 50 ms burst inside a 100 ms window leaves the standing delay low: ${probe.standing()} ms`);
  } finally {
    probe.stop();
  }
});
