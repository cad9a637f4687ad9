// The differential-test upstreams themselves: each family starts, executes a request, and reports it as parsed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rawExchange } from '../helpers/core-net.js';
import { describeEachFamily, startFamilyUpstream, type FamilyUpstream } from '../helpers/upstream-families.js';

describeEachFamily('an echo upstream records what it executed', (family) => {
  let upstream: FamilyUpstream;
  after(async () => { await upstream?.close(); });
  test('two pipelined requests on one connection are both executed, in order, with their headers', async () => {
    upstream = await startFamilyUpstream(family);
    const bytes = 'GET /first?x=1 HTTP/1.1\r\nHost: app\r\nX-Probe: one\r\n\r\n'
      + 'DELETE /second HTTP/1.1\r\nHost: app\r\nX-Probe: two\r\nConnection: close\r\n\r\n';
    const answer = await rawExchange(upstream.port, bytes);
    assert.equal(answer.status, 200);
    const executed = await upstream.waitForExecuted(2);
    assert.deepEqual(executed.map((r) => [r.method, r.target]), [['GET', '/first?x=1'], ['DELETE', '/second']]);
    assert.deepEqual(upstream.header(executed[1]!, 'x-probe'), ['two']);
  });
});
