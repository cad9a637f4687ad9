// SSRF: with webhooks.allow_private_targets off, non-public targets are refused when registered, and again at
// connect time against the address actually connected to (a name resolving to 127.0.0.1, as after DNS rebinding,
// and IP literals that bypass DNS), and the receiver never sees a request.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { eventually } from '../helpers/core-net.js';
import { isNonPublicAddress } from '../../src/http/ssrf-guard.js';
import { checkWebhookUrl } from '../../src/api/webhook-url.js';
import { api, approvedOrg, platformOwner, Receiver, signUp, startApiWorld, type ApiWorld, type TestUser } from './api-helpers.js';

test('the address classifier refuses every non-public range and passes public ones', () => {
  const refused = [
    '127.0.0.1', '127.255.255.254', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
    '100.64.0.1', '100.127.255.255', '0.0.0.0', '224.0.0.1', '239.255.255.250', '255.255.255.255', '240.0.0.1',
    '192.0.0.8', '198.18.0.1', '::', '::1', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1',
    '::ffff:8.8.8.8', '::ffff:7f00:1', '64:ff9b::a00:1', '2002:7f00:1::', '2001:db8::1', 'fec0::1', '[::1]', 'fe80::1%eth0',
    'not-an-ip',
  ];
  for (const a of refused) assert.equal(isNonPublicAddress(a), true, `${a} is refused`);
  for (const a of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001::1']) {
    assert.equal(isNonPublicAddress(a), false, `${a} is public`);
  }
});

test('registration refuses bad and non-public URLs, naming the field', async () => {
  for (const url of [
    'http://127.0.0.1/hook', 'http://localhost:8080/', 'http://LOCALHOST./x', 'http://api.localhost/', 'http://[::1]/',
    'http://0x7f.1/', 'http://2130706433/', 'http://017700000001/', 'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:127.0.0.1]/', 'http://[fd00::1]/', 'http://10.0.0.1/', 'http://100.64.0.1/', 'http://0.0.0.0/',
    'http://user:pass@example.com/', 'ftp://example.com/', 'file:///etc/passwd', 'gopher://example.com/', 'javascript:alert(1)',
    'https://example.com/#frag', '/relative', 'not a url', `https://example.com/${'a'.repeat(2100)}`,
  ]) {
    await assert.rejects(checkWebhookUrl(url, false), (err: Error & { field?: string; status?: number }) => {
      assert.equal(err.field, 'url', url);
      assert.equal(err.status, 400, url);
      return true;
    }, url);
  }
  assert.equal(await checkWebhookUrl('http://127.0.0.1:9/hook', true), 'http://127.0.0.1:9/hook', 'allowed with the flag');
  assert.equal(await checkWebhookUrl('https://203.0.114.1/x', false), 'https://203.0.114.1/x', 'a public literal');
});

await describeEachDriver('SSO API webhook SSRF guard (allow_private_targets off)', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let world: ApiWorld;
  let po: TestUser;
  let owner: TestUser;
  let receiver: Receiver;

  before(async () => {
    db = await makeDatabase();
    world = await startApiWorld(db, { webhooks: { allow_private_targets: false } });
    po = await platformOwner(world.gh);
    owner = await signUp(world.gh, 'owner');
    receiver = await new Receiver().start();
  });
  after(async () => {
    await receiver?.close();
    await world?.stop();
    await db?.drop();
  });

  test('the API refuses loopback, private and localhost targets with 400 field url; nothing is stored', async () => {
    const org = await approvedOrg(world.gh, owner, po);
    for (const url of [receiver.url, `http://localhost:${receiver.port}/hook`, `http://[::1]:${receiver.port}/`, 'http://169.254.169.254/']) {
      const res = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/webhooks`, { json: { url, events: ['webhook.test'] } });
      assert.equal(res.status, 400, `${url}: ${res.text}`);
      assert.equal(res.json.error, 'invalid_request');
      assert.equal(res.json.field, 'url');
    }
    assert.equal((await api(world.gh.port, owner.token, 'GET', `/orgs/${org}/webhooks`)).json.items.length, 0);
  });

  test('at connect time a name resolving to 127.0.0.1 (rebinding) and IP literals are refused; the receiver sees nothing', async () => {
    const org = await approvedOrg(world.gh, owner, po);
    // Rows as they would be after DNS changed under a registered name, or written by something other than the API.
    const targets = [`http://localhost:${receiver.port}/hook`, receiver.url, `http://[::ffff:127.0.0.1]:${receiver.port}/hook`];
    for (const url of targets) {
      const wh = await world.gh.store.webhooks.create({ orgId: org, url, secret: 'whsec_x', events: ['webhook.test'] });
      const t = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/webhooks/${wh.id}/test`);
      assert.equal(t.status, 202);
      const d = await eventually(5000, `${url} refused`, async () => {
        const res = await api(world.gh.port, owner.token, 'GET', `/orgs/${org}/webhooks/${wh.id}/deliveries`);
        return res.json.items[0]?.status === 'failed' ? res.json.items[0] : undefined;
      });
      assert.equal(d.attempts, 1, 'a refused target is not retried');
      assert.equal(d.attempt_log[0].outcome, 'refused', url);
      assert.doesNotMatch(d.attempt_log[0].error, /127\.0\.0\.1/, 'which address a name resolves to is not disclosed');
    }
    assert.equal(receiver.received.length, 0);
  });
});
