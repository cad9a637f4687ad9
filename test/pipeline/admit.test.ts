// Stage 1, admit: the in-flight bound counts every request (shed ones too, until they end), refuses past the bound
// with a 503 that carries Retry-After, and takes further checks (the later event-loop-lag controller is one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdmission, inFlightBound, type AdmissionCheck } from '../../src/pipeline/1-admit/admit.js';
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
      const refusal = admission.enter(table);
      open++;
      if (step === '+a') assert.equal(refusal, undefined, `max ${max}, ${steps}: admitted at ${open}`);
      else {
        assert.equal(refusal?.status, 503, `max ${max}, ${steps}: shed at ${open}`);
        assert.equal(refusal?.code, 'GATE_ERR_OVERLOADED');
        assert.equal(refusal?.retryAfterSeconds, 1);
      }
      assert.equal(admission.inFlight(), open, 'a shed request counts until it ends');
    }
    const text = await metrics.registry.metrics();
    assert.equal(sample(text, 'gatehouse_load_shed_total', { reason: 'in_flight' }) ?? 0, shedTotal, `${steps}: shed count`);
    assert.equal(sample(text, 'gatehouse_in_flight_requests'), open);
    await closeTable(table);
  }
});

test('further checks run in order after the count; the first that refuses names the shed reason', async () => {
  const table = tableOf(ROUTES, { max_in_flight: 10 });
  let late = false;
  const lag: AdmissionCheck = { reason: 'event_loop_lag', refuse: () => late };
  const metrics = createMetrics();
  const admission = createAdmission({ metrics, checks: [inFlightBound, lag] });
  const rows: { late: boolean; admitted: boolean }[] = [{ late: false, admitted: true }, { late: true, admitted: false }, { late: false, admitted: true }];
  for (const row of rows) {
    late = row.late;
    assert.equal(admission.enter(table) === undefined, row.admitted, `late=${row.late}`);
    admission.leave();
  }
  const text = await metrics.registry.metrics();
  assert.equal(sample(text, 'gatehouse_load_shed_total', { reason: 'event_loop_lag' }), 1);
  assert.equal(sample(text, 'gatehouse_load_shed_total', { reason: 'in_flight' }), undefined);
  assert.equal(admission.inFlight(), 0);
  await closeTable(table);
});
