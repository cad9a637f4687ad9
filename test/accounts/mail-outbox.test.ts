// The mail outbox and its sender against a real SMTP server on loopback, on every database: a message exists only
// if the transaction that queued it committed; it is sent once (two senders never send the same message); a
// temporary refusal is retried with backoff and a permanent one is final at once; a sent or failed message keeps
// no payload (its link is gone from the database); queued variables are sealed at rest; operators' templates win.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.js';
import { openStore, type Store } from '../../src/store/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { mailSchema } from '../../src/mail/config-schema.js';
import { createMailTransport } from '../../src/mail/mail-transport.js';
import { createMailRenderer } from '../../src/mail/render-mail.js';
import { createMailOutbox } from '../../src/mail/mail-outbox.js';
import { createMailSender, type MailSender } from '../../src/actors/mail-sender.js';
import { secretBoxFromKey } from '../../src/accounts/secret-box.js';

const BOX = secretBoxFromKey('a test key that is long enough for the box');

await describeEachDriver('mail outbox', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let store: Store;
  let smtp: SmtpCapture;

  before(async () => {
    db = await makeDatabase();
    store = await openStore(db.config, { logger: silentLogger() });
    smtp = await startSmtpCapture();
  });
  after(async () => {
    await store?.close();
    await smtp?.close();
    await db?.drop();
  });

  async function sender(options: { templatesDir?: string; workerId?: string; maxAttempts?: number } = {}): Promise<{ sender: MailSender; metrics: ReturnType<typeof createMetrics> }> {
    const config = mailSchema.parse({
      smtp: { url: smtp.url, from: 'Gatehouse <no-reply@example.test>', require_tls: false, timeout: '5s' },
      outbox: { backoff_base: '50ms', backoff_cap: '200ms', max_attempts: options.maxAttempts ?? 4 },
      ...(options.templatesDir ? { templates_dir: options.templatesDir } : {}),
    });
    const metrics = createMetrics();
    return {
      metrics,
      sender: createMailSender({
        store, config: config.outbox, transport: (await createMailTransport(config))!, box: BOX, metrics, logger: silentLogger(),
        renderer: createMailRenderer({ templatesDir: config.templates_dir, productName: 'Acme Portal' }),
        ...(options.workerId ? { workerId: options.workerId } : {}),
      }),
    };
  }

  const outbox = createMailOutbox({ enabled: true, box: BOX });
  const vars = (to: string) => ({ email: to, name: 'Ada', link: `https://app.example.test/.gatehouse/verify-email?token=${'x'.repeat(43)}`, expires_in: '24 hours' });

  /** Sends until `n` attempts happened or nothing is due (retries wait for their backoff). */
  async function sendUntil(s: MailSender, done: () => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) {
      await s.runOnce();
      await new Promise((r) => setTimeout(r, 30));
    }
    assert.ok(done(), 'the outbox reached the expected state in time');
  }

  test('queued in a transaction: nothing if it rolls back; sent once, rendered, sealed at rest and wiped after', async () => {
    const to = `ada-${Date.now()}@example.test`;
    await assert.rejects(store.transaction(async (tx) => {
      await outbox.queue(tx, { template: 'verify-email', to, vars: vars(to) });
      throw new Error('the change failed');
    }), /the change failed/);
    assert.equal((await store.mailOutbox.listForAddress(to)).items.length, 0, 'a rolled-back change queues nothing');

    await store.transaction((tx) => outbox.queue(tx, { template: 'verify-email', to, vars: vars(to) }));
    const [queued] = (await store.mailOutbox.listForAddress(to)).items;
    assert.ok(queued);
    assert.equal(queued.status, 'pending');
    assert.ok(queued.payload !== null && !queued.payload.includes('verify-email?token'), 'the link is sealed in the database');

    const { sender: s, metrics } = await sender();
    await s.runOnce();
    const mail = await smtp.waitFor(to);
    assert.equal(mail.subject, 'Confirm your email address for Acme Portal');
    assert.match(mail.text, /Hello Ada,/);
    assert.match(mail.text, /https:\/\/app\.example\.test\/\.gatehouse\/verify-email\?token=x{43}/);
    assert.match(mail.html, /<a href="https:\/\/app\.example\.test\/\.gatehouse\/verify-email\?token=x{43}"/);
    assert.equal(mail.headers.get('auto-submitted'), 'auto-generated');
    assert.match(mail.from, /no-reply@example\.test/);
    const sent = await store.mailOutbox.get(queued.id);
    assert.equal(sent?.status, 'sent');
    assert.equal(sent?.payload, null, 'a sent message keeps no payload');
    await s.runOnce();
    assert.equal(smtp.to(to).length, 1, 'sent once');
    assert.match(await metrics.registry.metrics(), /gatehouse_mail_messages_total\{result="sent"\} 1/);
    await s.stop(1000);
  });

  test('a temporary refusal is retried with backoff; a permanent one is final at once', async () => {
    const later = `later-${Date.now()}@example.test`;
    await store.transaction((tx) => outbox.queue(tx, { template: 'reset-password', to: later, vars: { ...vars(later), client_ip: '192.0.2.1' } }));
    const { sender: s, metrics } = await sender();
    smtp.refuseNext(2, 451);
    await sendUntil(s, () => smtp.to(later).length === 1);
    const [row] = (await store.mailOutbox.listForAddress(later)).items;
    assert.equal(row?.status, 'sent');
    assert.equal(row?.attempt, 3, 'two refusals, then sent');
    assert.match(await metrics.registry.metrics(), /gatehouse_mail_messages_total\{result="retry"\} 2/);

    const never = `never-${Date.now()}@example.test`;
    await store.transaction((tx) => outbox.queue(tx, { template: 'verify-email', to: never, vars: vars(never) }));
    smtp.refuseNext(1, 550);
    await s.runOnce();
    const [failed] = (await store.mailOutbox.listForAddress(never)).items;
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.attempt, 1);
    assert.match(failed?.lastError ?? '', /^550/);
    assert.equal(failed?.payload, null, 'a failed message keeps no payload either');
    await s.stop(1000);
  });

  test('two senders never send the same message', async () => {
    const prefix = `pair-${Date.now()}`;
    const addresses = Array.from({ length: 12 }, (_, i) => `${prefix}-${i}@example.test`);
    await store.transaction(async (tx) => {
      for (const to of addresses) await outbox.queue(tx, { template: 'verify-email', to, vars: vars(to) });
    });
    const a = (await sender({ workerId: 'a' })).sender;
    const b = (await sender({ workerId: 'b' })).sender;
    await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
    await sendUntil(a, () => addresses.every((to) => smtp.to(to).length >= 1));
    for (const to of addresses) assert.equal(smtp.to(to).length, 1, `${to} got exactly one message`);
    await a.stop(1000);
    await b.stop(1000);
  });

  test('templates from mail.templates_dir replace the built-in parts they name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-mail-templates-'));
    writeFileSync(join(dir, 'verify-email.subject.mustache'), '[{{product_name}}] please confirm {{email}}\nBcc: evil@example.test');
    writeFileSync(join(dir, 'verify-email.txt.mustache'), 'Custom text: {{{link}}}');
    const to = `custom-${Date.now()}@example.test`;
    await store.transaction((tx) => outbox.queue(tx, { template: 'verify-email', to, vars: vars(to) }));
    const { sender: s } = await sender({ templatesDir: dir });
    await s.runOnce();
    const mail = await smtp.waitFor(to);
    assert.equal(mail.subject, `[Acme Portal] please confirm ${to} Bcc: evil@example.test`, 'a line break in a subject template cannot add a header');
    assert.equal(mail.headers.get('bcc'), undefined);
    assert.match(mail.text, /^Custom text: https:\/\/app\.example\.test\//);
    assert.match(mail.html, /Confirm my address/, 'the HTML part not replaced stays built-in');
    await s.stop(1000);
  });
});
