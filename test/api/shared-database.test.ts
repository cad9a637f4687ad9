// Several replicas on one PostgreSQL (or MySQL) database: every delivery is claimed by one of them only, so the
// receiver gets each delivery id exactly once, and membership changes still evict on the replica that made them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { eventually, sample, scrape } from '../helpers/core-net.js';
import { envelope } from '../../src/api/events.js';
import { api, approvedOrg, platformOwner, Receiver, signUp, startApiWorld, type ApiWorld } from './api-helpers.js';

await describeEachDriver('SSO API webhooks with two Gatehouse apps on one database', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let a: ApiWorld;
  let b: ApiWorld;
  let receiver: Receiver;

  before(async () => {
    db = await makeDatabase();
    const fast = { webhooks: { batch_size: 3, poll_interval: '20ms' } };
    a = await startApiWorld(db, fast);
    b = await startApiWorld(db, fast);
    receiver = await new Receiver().start();
    receiver.delayMs = 15;
  });
  after(async () => {
    await receiver?.close();
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  test('60 queued deliveries reach the receiver exactly once each, sent by both apps', async () => {
    const po = await platformOwner(a.gh);
    const owner = await signUp(a.gh, 'owner');
    const org = await approvedOrg(a.gh, owner, po);
    const created = await api(b.gh.port, owner.token, 'POST', `/orgs/${org}/webhooks`, { json: { url: receiver.url, events: ['webhook.test'] } });
    assert.equal(created.status, 201, created.text);
    receiver.secret = created.json.secret;
    const orgRow = (await a.gh.store.orgs.get(org))!;
    const now = new Date();
    await a.gh.store.deliveries.enqueue(Array.from({ length: 60 }, () => {
      const id = randomUUID();
      return { id, webhookId: created.json.id, event: 'webhook.test', payload: envelope(id, 'webhook.test', orgRow, {}, now) };
    }));
    await eventually(15_000, '60 deliveries', () => receiver.received.length >= 60);
    await new Promise((r) => setTimeout(r, 300));
    const ids = receiver.received.map((r) => String(r.headers['x-gatehouse-delivery']));
    assert.equal(ids.length, 60, 'no delivery sent twice');
    assert.equal(new Set(ids).size, 60);
    assert.ok(receiver.received.every((r) => r.signatureValid));
    const rows = await a.gh.store.deliveries.listForWebhook(created.json.id, { limit: 100 });
    assert.ok(rows.items.every((d) => d.status === 'delivered' && d.attempt === 1));
    const sent = await Promise.all([a, b].map(async (w) => sample(await scrape(w.gh.adminPort), 'gatehouse_webhook_deliveries_total', { result: 'delivered' }) ?? 0));
    assert.equal(sent[0]! + sent[1]!, 60);
    assert.ok(sent[0]! > 0 && sent[1]! > 0, `both apps sent some (${sent.join(' + ')})`);
  });
}, ['postgres', 'mysql']);
