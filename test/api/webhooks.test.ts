// Webhooks end to end against a real receiver on loopback that verifies every signature: delivery, retries with
// backoff, disabling a failing webhook, redirects not followed, timeouts, no delivery lost across a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { eventually, sample, scrape, startUpstream } from '../helpers/core-net.js';
import { api, approvedOrg, platformOwner, Receiver, signUp, startApiWorld, type ApiWorld, type TestUser, verify } from './api-helpers.js';

await describeEachDriver('SSO API webhooks', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let world: ApiWorld;
  let po: TestUser;
  let owner: TestUser;

  before(async () => {
    db = await makeDatabase();
    world = await startApiWorld(db);
    po = await platformOwner(world.gh);
    owner = await signUp(world.gh, 'owner');
  });
  after(async () => {
    await world?.stop();
    await db?.drop();
  });

  /** A new org of `owner` with a webhook to `receiver` for `events`; the receiver learns the secret. */
  async function hooked(receiver: Receiver, events: string[] = ['member.added']) {
    const org = await approvedOrg(world.gh, owner, po);
    const created = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/webhooks`, { json: { url: receiver.url, events } });
    assert.equal(created.status, 201, created.text);
    assert.match(created.json.secret, /^whsec_[A-Za-z0-9+/]{43}=$/, 'a 32-byte secret in standard base64 (Standard Webhooks), shown once');
    assert.equal(Buffer.from(created.json.secret.slice(6), 'base64').length, 32);
    receiver.secret = created.json.secret;
    return { org, webhook: created.json.id as string };
  }

  async function deliveries(org: string, webhook: string) {
    const res = await api(world.gh.port, owner.token, 'GET', `/orgs/${org}/webhooks/${webhook}/deliveries`);
    assert.equal(res.status, 200, res.text);
    return res.json.items as { id: string; status: string; attempts: number; event: string; attempt_log: { outcome: string; response_code: number | null; response_body: string | null; error: string | null }[] }[];
  }

  test('a change is delivered once, signed, with a delivery id; the secret is never shown again', async () => {
    const receiver = await new Receiver().start();
    try {
      const { org, webhook } = await hooked(receiver);
      const listed = await api(world.gh.port, owner.token, 'GET', `/orgs/${org}/webhooks`);
      assert.equal(listed.json.items[0].secret, undefined);
      assert.ok(!listed.text.includes(receiver.secret));
      const member = await signUp(world.gh, 'm');
      const added = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/members`, { json: { user_id: member.id, role: 'member' } });
      assert.equal(added.status, 201, added.text);
      await eventually(5000, 'the delivery', () => receiver.received.length === 1);
      const got = receiver.received[0]!;
      assert.equal(got.signatureValid, true, 'standardwebhooks verifies it (and the previous header holds too)');
      assert.equal(got.headers['webhook-id'], got.json.id, 'webhook-id is the delivery id');
      assert.match(String(got.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]+=*$/);
      assert.equal(verify(receiver.secret, { ...got.headers, 'webhook-id': 'msg_forged' }, got.body), false, 'a changed id breaks the signature');
      assert.equal(verify(receiver.secret, got.headers, `${got.body} `), false, 'a changed body breaks the signature');
      assert.equal(got.headers['content-type'], 'application/json');
      assert.equal(got.headers['x-gatehouse-event'], 'member.added');
      assert.equal(got.headers['x-gatehouse-delivery'], got.json.id);
      assert.deepEqual(got.json.org, { id: org, slug: got.json.org.slug });
      assert.deepEqual(got.json.data.user, { id: member.id, email: member.email });
      const list = await eventually(5000, 'delivered status', async () => {
        const items = await deliveries(org, webhook);
        return items[0]?.status === 'delivered' ? items : undefined;
      });
      assert.equal(list.length, 1);
      assert.equal(list[0]!.attempts, 1);
      assert.deepEqual(list[0]!.attempt_log.map((a) => [a.outcome, a.response_code]), [['delivered', 200]]);
      // A forged body fails the receiver's check.
      assert.equal((await import('./api-helpers.js')).verify(receiver.secret, got.headers, got.body.replace('member', 'admin')), false);
      const metrics = await scrape(world.gh.adminPort);
      assert.ok((sample(metrics, 'gatehouse_webhook_deliveries_total', { result: 'delivered' }) ?? 0) >= 1);
      assert.notEqual(sample(metrics, 'gatehouse_webhook_queue_depth'), undefined);
      assert.ok((sample(metrics, 'gatehouse_webhook_delivery_duration_seconds_count') ?? 0) >= 1);
    } finally {
      await receiver.close();
    }
  });

  test('a receiver that fails twice gets the same delivery a third time, after backoff, and every attempt is recorded', async () => {
    const receiver = await new Receiver().start();
    receiver.plan = [500, 502, 200];
    try {
      const { org, webhook } = await hooked(receiver, ['webhook.test']);
      const t = await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/webhooks/${webhook}/test`);
      assert.equal(t.status, 202, t.text);
      await eventually(10_000, 'three attempts', () => receiver.received.length === 3);
      assert.ok(receiver.received.every((r) => r.signatureValid), 'every attempt is signed');
      assert.equal(new Set(receiver.received.map((r) => r.headers['x-gatehouse-delivery'])).size, 1, 'one delivery id across retries');
      assert.equal(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, 1, 'one webhook-id across retries (the receiver\'s idempotency key)');
      assert.deepEqual(receiver.received.map((r) => r.headers['x-gatehouse-attempt']), ['1', '2', '3']);
      assert.ok(receiver.received[1]!.at - receiver.received[0]!.at >= 20, 'a backoff between attempts');
      const [d] = await eventually(5000, 'delivered', async () => {
        const items = await deliveries(org, webhook);
        return items[0]?.status === 'delivered' ? items : undefined;
      });
      assert.equal(d!.attempts, 3);
      assert.deepEqual(d!.attempt_log.map((a) => [a.outcome, a.response_code]), [['http_error', 500], ['http_error', 502], ['delivered', 200]]);
      assert.ok(d!.attempt_log[0]!.response_body!.length <= 2048, 'response bodies are truncated');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(receiver.received.length, 3, 'nothing after success');
    } finally {
      await receiver.close();
    }
  });

  test('a webhook that keeps failing is disabled, and why is recorded', async () => {
    const receiver = await new Receiver().start();
    receiver.plan = [503];
    try {
      const { org, webhook } = await hooked(receiver, ['webhook.test']);
      for (let i = 0; i < 2; i++) {
        assert.equal((await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/webhooks/${webhook}/test`)).status, 202);
      }
      await eventually(15_000, 'the webhook disabled', async () => {
        const res = await api(world.gh.port, owner.token, 'GET', `/orgs/${org}/webhooks`);
        return res.json.items[0].active === false;
      });
      const items = await deliveries(org, webhook);
      assert.deepEqual(items.map((d) => [d.status, d.attempts]), [['failed', 4], ['failed', 4]], 'max_attempts is 4');
      const audit = await eventually(5000, 'the audit event', async () => {
        const res = await api(world.gh.port, owner.token, 'GET', `/orgs/${org}/audit?action=webhook.disabled`);
        return res.json.items.length === 1 ? res.json.items : undefined;
      });
      assert.match(audit[0].data.reason, /last 2 deliveries failed.*HTTP 503/);
      assert.equal(audit[0].target, webhook);
      // Disabled: a member.added event queues nothing for it any more.
      const before = receiver.received.length;
      const m = await signUp(world.gh, 'late');
      await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/members`, { json: { user_id: m.id, role: 'member' } });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(receiver.received.length, before);
    } finally {
      await receiver.close();
    }
  });

  test('a member signing in is a user.login delivery to their approved organization', async () => {
    const receiver = await new Receiver().start();
    try {
      const { org } = await hooked(receiver, ['user.login']);
      const m = await signUp(world.gh, 'login');
      await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/members`, { json: { user_id: m.id, role: 'admin' } });
      await api(world.gh.port, undefined, 'POST', '/.gatehouse/login', { json: { email: m.email, password: 'a long enough passphrase' } });
      await eventually(5000, 'the user.login delivery', () => receiver.received.length === 1);
      const got = receiver.received[0]!;
      assert.equal(got.signatureValid, true);
      assert.equal(got.json.event, 'user.login');
      assert.deepEqual(got.json.data.user, { id: m.id, email: m.email });
      assert.equal(got.json.data.role, 'admin');
      assert.equal(got.json.data.method, 'password');
    } finally {
      await receiver.close();
    }
  });

  test('redirects are not followed', async () => {
    const elsewhere = await startUpstream('elsewhere');
    const receiver = await new Receiver().start();
    receiver.plan = [{ redirect: `${elsewhere.url}/stolen` }];
    try {
      const { org, webhook } = await hooked(receiver, ['webhook.test']);
      await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/webhooks/${webhook}/test`);
      const d = await eventually(5000, 'a recorded redirect', async () => (await deliveries(org, webhook))[0]?.attempt_log[0]);
      assert.equal(d.outcome, 'redirect');
      assert.equal(d.response_code, 302);
      assert.match(d.error!, /redirect not followed/);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(elsewhere.requests.length, 0, 'the redirect target never saw a request');
    } finally {
      await receiver.close();
      await elsewhere.close();
    }
  });

  test('an attempt that gets no answer ends at the timeout and is retried', async () => {
    const receiver = await new Receiver().start();
    receiver.plan = ['hang', 200];
    try {
      const { org, webhook } = await hooked(receiver, ['webhook.test']);
      await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/webhooks/${webhook}/test`);
      const [d] = await eventually(8000, 'delivered after a timeout', async () => {
        const items = await deliveries(org, webhook);
        return items[0]?.status === 'delivered' ? items : undefined;
      });
      assert.deepEqual(d!.attempt_log.map((a) => a.outcome), ['timeout', 'delivered']);
    } finally {
      await receiver.close();
    }
  });

  test('no delivery is lost across a restart of Gatehouse', async () => {
    const receiver = await new Receiver().start();
    receiver.plan = [503];
    try {
      const { org, webhook } = await hooked(receiver, ['webhook.test']);
      await api(world.gh.port, owner.token, 'POST', `/orgs/${org}/webhooks/${webhook}/test`);
      await eventually(5000, 'a first, failed attempt', () => receiver.received.length >= 1);
      await world.stop();
      const id = receiver.received[0]!.headers['x-gatehouse-delivery'];
      receiver.plan = [200];
      const seen = receiver.received.length;
      world = await startApiWorld(db); // a new app on the same database
      await eventually(10_000, 'the delivery after the restart', () => receiver.received.slice(seen).some((r) => r.headers['x-gatehouse-delivery'] === id && r.signatureValid));
      const [d] = await eventually(5000, 'delivered', async () => {
        const items = await deliveries(org, webhook);
        return items[0]?.status === 'delivered' ? items : undefined;
      });
      assert.equal(d!.id, id);
      assert.equal(receiver.received.filter((r) => r.headers['x-gatehouse-delivery'] === id && receiver.received.indexOf(r) >= seen).length, 1);
    } finally {
      await receiver.close();
    }
  });
});
