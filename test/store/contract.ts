// The storage contract: the same cases against every driver (like undici's cacheStoreTests). Each driver's
// test file calls `storeContract` with a factory that makes a fresh, empty database.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { silentLogger } from '../../src/log/logger.js';
import {
  openStore, migrate, type AuditEvent, type Store, type User, type WebhookDelivery,
} from '../../src/store/index.js';
import { ConflictError, NotFoundError, SchemaTooNewError } from '../../src/errors/index.js';
import type { TestDatabase } from './databases.js';

const logger = silentLogger();

async function rejectsWith(p: Promise<unknown>, type: new (...args: never[]) => Error, check?: (e: Error) => void): Promise<void> {
  await assert.rejects(p, (err: Error) => {
    assert.ok(err instanceof type, `expected ${type.name}, got ${err.constructor.name}: ${err.message}`);
    check?.(err);
    return true;
  });
}

/** Reads every page of a list. */
async function all<T>(page: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const p = await page(cursor);
    out.push(...p.items);
    cursor = p.nextCursor;
  } while (cursor !== null);
  return out;
}

function auditEvent(i: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: randomUUID(), at: new Date(1_700_000_000_000 + i), actor: `user-${i % 7}`, org: `org-${i % 3}`,
    action: i % 2 === 0 ? 'user.login' : 'user.logout', target: null, clientIp: '203.0.113.9', userAgent: 'test',
    data: { i }, ...overrides,
  };
}

/** Registers the contract suite for one driver; `makeDatabase` creates a fresh database, dropped after. */
export function storeContract(name: string, makeDatabase: () => Promise<TestDatabase>): void {
  describe(`store contract: ${name}`, () => {
    let db: TestDatabase;
    let store: Store;
    const newUser = (email = `${randomUUID()}@example.com`): Promise<User> => store.users.create({ email });

    before(async () => {
      db = await makeDatabase();
      store = await openStore(db.config, { logger });
    });
    after(async () => {
      await store?.close();
      await db?.drop();
    });

    test('ping answers', async () => {
      await store.ping();
    });

    test('migrations run twice and concurrently, and a newer schema is refused', async () => {
      const results = await Promise.all([migrate(db.config, logger), migrate(db.config, logger), openStore(db.config, { logger })]);
      await (results[2] as Store).close();
      assert.deepEqual((await migrate(db.config, logger)).applied, []);
      await db.exec('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, \'future\', 0)');
      try {
        await rejectsWith(openStore(db.config, { logger }), SchemaTooNewError, (e) => assert.match(e.message, /999/));
        await rejectsWith(migrate(db.config, logger), SchemaTooNewError);
      } finally {
        await db.exec('DELETE FROM schema_migrations WHERE version = 999');
      }
    });

    test('users: create, read, update, list, delete; email unique case-insensitively', async () => {
      const u = await store.users.create({ email: 'Alice@Example.COM', name: 'Alice', roles: ['platform_owner'], passwordHash: '$argon2id$x' });
      assert.equal(u.email, 'Alice@Example.COM');
      assert.deepEqual(await store.users.get(u.id), u);
      assert.deepEqual(await store.users.getByEmail('alice@example.com'), u);
      await rejectsWith(store.users.create({ email: 'ALICE@example.com' }), ConflictError, (e) => assert.equal((e as ConflictError).field, 'email'));
      const bob = await newUser('bob@example.com');
      await rejectsWith(store.users.update(bob.id, { email: 'alice@EXAMPLE.com' }), ConflictError, (e) => assert.equal((e as ConflictError).field, 'email'));
      const updated = await store.users.update(u.id, { name: 'Alice B', disabled: true, roles: [] });
      assert.equal(updated.name, 'Alice B');
      assert.equal(updated.disabled, true);
      assert.deepEqual(updated.roles, []);
      assert.deepEqual(await store.users.update(u.id, {}), updated);
      await rejectsWith(store.users.update('missing', { name: 'x' }), NotFoundError);
      await store.users.update(bob.id, { roles: ['platform_owner'] });
      const owners = await all((cursor) => store.users.list({ cursor, limit: 1, role: 'platform_owner' }));
      assert.deepEqual(owners.map((x) => x.id), [bob.id]);
      const before = await store.users.count();
      await store.users.delete(bob.id);
      assert.equal(await store.users.count(), before - 1);
      assert.equal(await store.users.get(bob.id), null);
      await rejectsWith(store.users.delete(bob.id), NotFoundError);
    });

    test('users: list pages through everyone exactly once', async () => {
      const t = new Date(1_600_000_000_000);
      const created = [];
      for (let i = 0; i < 7; i++) created.push(await store.users.create({ email: `page-${i}-${randomUUID()}@x.io`, createdAt: t }));
      const seen = await all((cursor) => store.users.list({ cursor, limit: 3 }));
      for (const c of created) assert.equal(seen.filter((s) => s.id === c.id).length, 1);
      await assert.rejects(store.users.list({ cursor: 'not-a-cursor' }), { code: 'GATE_ERR_BAD_REQUEST' });
    });

    test('external identities: link, find, list, unlink; conflicts', async () => {
      const u = await newUser();
      const id = await store.identities.link({ provider: 'google', subject: `sub-${u.id}`, userId: u.id, email: 'a@b.c' });
      assert.deepEqual(await store.identities.find('google', `sub-${u.id}`), id);
      await rejectsWith(store.identities.link({ provider: 'google', subject: `sub-${u.id}`, userId: u.id }), ConflictError,
        (e) => assert.equal((e as ConflictError).field, 'identity'));
      await rejectsWith(store.identities.link({ provider: 'github', subject: 'x', userId: 'no-such-user' }), NotFoundError);
      assert.equal((await store.identities.listForUser(u.id)).length, 1);
      await store.identities.unlink('google', `sub-${u.id}`);
      assert.equal(await store.identities.find('google', `sub-${u.id}`), null);
      await rejectsWith(store.identities.unlink('google', `sub-${u.id}`), NotFoundError);
    });

    test('sessions: create, read, revoke, list, touch, expire', async () => {
      const u = await newUser();
      const now = Date.now();
      const mk = (id: string, createdAt = new Date(now)) => store.sessions.create({
        id, userId: u.id, createdAt, expiresAt: new Date(now + 3_600_000), idleExpiresAt: new Date(now + 600_000),
        userAgent: 'Mozilla/5.0 ☃', clientIp: '2001:db8::1',
      });
      const s1 = await mk(`hash-${randomUUID()}`);
      assert.deepEqual(await store.sessions.get(s1.id), s1);
      await rejectsWith(mk(s1.id), ConflictError);
      await rejectsWith(store.sessions.create({ id: 'x', userId: 'nobody', expiresAt: new Date(), idleExpiresAt: new Date() }), NotFoundError);
      const s2 = await mk(`hash-${randomUUID()}`, new Date(now + 1));
      const s3 = await mk(`hash-${randomUUID()}`, new Date(now + 2));
      const listed = await all((cursor) => store.sessions.listForUser(u.id, { cursor, limit: 2 }));
      assert.deepEqual(listed.map((s) => s.id), [s3.id, s2.id, s1.id]);

      const revokedAt = new Date(now + 10);
      assert.equal(await store.sessions.revoke(s1.id, revokedAt), true);
      assert.equal(await store.sessions.revoke(s1.id), false);
      assert.deepEqual((await store.sessions.get(s1.id))?.revokedAt, revokedAt);
      assert.equal(await store.sessions.revokeForUser(u.id, { exceptId: s3.id, at: new Date(now + 20) }), 1);
      assert.equal((await store.sessions.get(s3.id))?.revokedAt, null);
      assert.equal((await store.sessions.get(s2.id))?.revokedAt?.getTime(), now + 20, 'revokeForUser records when');

      await store.sessions.touchLastSeen([
        { userId: u.id, sessionId: s3.id, at: new Date(now + 5000), idleExpiresAt: new Date(now + 900_000) },
        { sessionId: s2.id, at: new Date(now + 4000) },
      ]);
      // Older updates never move times backwards.
      await store.sessions.touchLastSeen([{ userId: u.id, sessionId: s3.id, at: new Date(now + 1000), idleExpiresAt: new Date(now + 1000) }]);
      const t3 = await store.sessions.get(s3.id);
      assert.equal(t3?.lastSeenAt.getTime(), now + 5000);
      assert.equal(t3?.idleExpiresAt.getTime(), now + 900_000);
      assert.equal((await store.sessions.get(s2.id))?.lastSeenAt.getTime(), now + 4000);
      assert.equal((await store.users.get(u.id))?.lastSeenAt?.getTime(), now + 5000);

      assert.equal(await store.sessions.deleteExpired(new Date(now + 700_000)), 2);
      assert.equal(await store.sessions.get(s1.id), null);
      assert.ok(await store.sessions.get(s3.id));
      await store.users.delete(u.id);
      assert.equal(await store.sessions.get(s3.id), null, 'deleting a user deletes their sessions');
    });

    test('200 concurrent session creations lose nothing', async () => {
      const u = await newUser();
      const ids = Array.from({ length: 200 }, () => `hash-${randomUUID()}`);
      const t = Date.now();
      await Promise.all(ids.map((id) => store.sessions.create({ id, userId: u.id, expiresAt: new Date(t + 1e6), idleExpiresAt: new Date(t + 1e6) })));
      const listed = await all((cursor) => store.sessions.listForUser(u.id, { cursor, limit: 500 }));
      assert.equal(listed.length, 200);
      assert.deepEqual(new Set(listed.map((s) => s.id)), new Set(ids));
    });

    test('organizations and memberships', async () => {
      const owner = await newUser();
      const member = await newUser();
      const slug = `acme-${randomUUID().slice(0, 8)}`;
      const org = await store.orgs.create({ slug, name: 'Acme', createdBy: owner.id });
      assert.equal(org.status, 'pending');
      assert.deepEqual(await store.orgs.get(org.id), org);
      assert.deepEqual(await store.orgs.getBySlug(slug), org);
      await rejectsWith(store.orgs.create({ slug, name: 'Other' }), ConflictError, (e) => assert.equal((e as ConflictError).field, 'slug'));
      const decidedAt = new Date(1_700_000_000_123);
      const approved = await store.orgs.setStatus(org.id, 'approved', owner.id, decidedAt);
      assert.equal(approved.status, 'approved');
      assert.deepEqual(approved.decidedAt, decidedAt);
      assert.equal((await store.orgs.update(org.id, { name: 'Acme Inc' })).name, 'Acme Inc');
      await rejectsWith(store.orgs.update('missing', { name: 'x' }), NotFoundError);
      const approvedList = await all((cursor) => store.orgs.list({ cursor, status: 'approved', limit: 10 }));
      assert.ok(approvedList.some((o) => o.id === org.id));

      await store.memberships.add({ orgId: org.id, userId: owner.id, role: 'owner' });
      await store.memberships.add({ orgId: org.id, userId: member.id, role: 'member', createdAt: new Date(Date.now() + 1) });
      await rejectsWith(store.memberships.add({ orgId: org.id, userId: member.id, role: 'admin' }), ConflictError,
        (e) => assert.equal((e as ConflictError).field, 'membership'));
      await rejectsWith(store.memberships.add({ orgId: 'nope', userId: member.id, role: 'admin' }), NotFoundError);
      assert.equal((await store.memberships.setRole(org.id, member.id, 'admin')).role, 'admin');
      assert.equal(await store.memberships.countByRole(org.id, 'owner'), 1);
      const members = await all((cursor) => store.memberships.listForOrg(org.id, { cursor, limit: 1 }));
      assert.deepEqual(members.map((m) => m.userId), [owner.id, member.id]);
      assert.deepEqual((await store.memberships.listForUser(member.id)).items.map((m) => m.orgId), [org.id]);
      await store.memberships.remove(org.id, member.id);
      assert.equal(await store.memberships.get(org.id, member.id), null);
      await rejectsWith(store.memberships.remove(org.id, member.id), NotFoundError);
      await store.orgs.delete(org.id);
      assert.equal(await store.memberships.get(org.id, owner.id), null);
    });

    test('transactions commit together or roll back together', async () => {
      const owner = await newUser();
      const slug = `tx-${randomUUID().slice(0, 8)}`;
      await assert.rejects(store.transaction(async (tx) => {
        const org = await tx.orgs.create({ slug, name: 'Tx' });
        await tx.memberships.add({ orgId: org.id, userId: owner.id, role: 'owner' });
        assert.ok(await tx.orgs.getBySlug(slug), 'a transaction reads its own writes');
        throw new Error('boom');
      }), /boom/);
      assert.equal(await store.orgs.getBySlug(slug), null);
      // A failing statement inside also rolls back what came before it.
      await rejectsWith(store.transaction(async (tx) => {
        await tx.orgs.create({ slug, name: 'Tx' });
        await tx.users.create({ email: owner.email.toUpperCase() });
      }), ConflictError);
      assert.equal(await store.orgs.getBySlug(slug), null);
      const org = await store.transaction(async (tx) => {
        const o = await tx.orgs.create({ slug, name: 'Tx' });
        await tx.memberships.add({ orgId: o.id, userId: owner.id, role: 'owner' });
        return o;
      });
      assert.equal((await store.memberships.get(org.id, owner.id))?.role, 'owner');
    });

    test('times and JSON round-trip exactly', async () => {
      const times = [new Date('2024-02-29T23:59:59.999Z'), new Date(0), new Date('2999-12-31T00:00:00.001Z'), new Date('1969-07-20T20:17:40.123Z')];
      const data = { emoji: '🔐🚀', cjk: '門番', rtl: 'مرحبا', quote: '"\'\\', nul: '\u0000', nested: { a: [1, 2.5, -3e-7, true, null] }, big: 2 ** 53 - 1 };
      const events = times.map((at, i) => auditEvent(i, { at, data, org: `json-${i}`, userAgent: 'Ünïcödé ☃' }));
      assert.equal(await store.audit.insert(events), events.length);
      for (const e of events) {
        const page = await store.audit.list({ org: e.org! });
        assert.deepEqual(page.items, [e]);
      }
      const u = await newUser();
      const d = new Date('2031-01-02T03:04:05.678Z');
      const s = await store.sessions.create({ id: `t-${randomUUID()}`, userId: u.id, createdAt: d, expiresAt: d, idleExpiresAt: d });
      assert.deepEqual(await store.sessions.get(s.id), s);
      assert.equal((await store.sessions.get(s.id))?.createdAt.toISOString(), '2031-01-02T03:04:05.678Z');
    });

    test('audit: 10,000 rows in one batch, re-inserting adds none, filters and pages', async () => {
      const org = `bulk-${randomUUID()}`;
      const events = Array.from({ length: 10_000 }, (_, i) => auditEvent(i, { org }));
      assert.equal(await store.audit.insert(events), 10_000);
      assert.equal(await store.audit.insert(events), 0);
      assert.equal(await store.audit.insert([...events.slice(0, 10), auditEvent(99_999, { org })]), 1);
      const everything = await all((cursor) => store.audit.list({ org, cursor, limit: 500 }));
      assert.equal(everything.length, 10_001);
      assert.equal(new Set(everything.map((e) => e.id)).size, 10_001);
      for (let i = 1; i < everything.length; i++) assert.ok(everything[i - 1]!.at >= everything[i]!.at, 'newest first');
      const logins = await all((cursor) => store.audit.list({ org, action: 'user.login', actor: 'user-0', cursor, limit: 500 }));
      assert.equal(logins.length, events.filter((e) => e.action === 'user.login' && e.actor === 'user-0').length);
      const ranged = await all((cursor) => store.audit.list({ org, since: new Date(1_700_000_000_100), until: new Date(1_700_000_000_200), cursor }));
      assert.equal(ranged.length, 100);
      assert.ok(await store.audit.deleteBefore(new Date(1_700_000_000_100)) >= 100);
      assert.equal((await all((cursor) => store.audit.list({ org, cursor, limit: 500 }))).length, 10_001 - 100);
    });

    test('webhooks and the delivery outbox; claims are exclusive under concurrency', async () => {
      const org = await store.orgs.create({ slug: `wh-${randomUUID().slice(0, 8)}`, name: 'Hooks' });
      const wh = await store.webhooks.create({ orgId: org.id, url: 'https://example.com/hook', secret: 's3cret', events: ['user.login'] });
      assert.deepEqual(await store.webhooks.get(wh.id), wh);
      await store.webhooks.create({ orgId: org.id, url: 'https://example.com/all', secret: 's', events: ['*'], active: false });
      assert.deepEqual((await store.webhooks.listSubscribed(org.id, 'user.login')).map((w) => w.id), [wh.id]);
      assert.equal((await store.webhooks.update(wh.id, { events: ['user.login', 'org.approved'] })).events.length, 2);
      assert.equal((await store.webhooks.listForOrg(org.id)).items.length, 2);

      const now = new Date();
      const queued = await store.deliveries.enqueue(Array.from({ length: 120 }, (_, i) => ({
        webhookId: wh.id, event: 'user.login', payload: { i, name: 'Zoë' }, nextAttemptAt: new Date(now.getTime() - 1000),
      })));
      const claimedBy = new Map<string, string>();
      const claimer = async (worker: string): Promise<void> => {
        for (;;) {
          const got: WebhookDelivery[] = await store.deliveries.claimDue(worker, now, 7, 30_000);
          if (got.length === 0) return;
          for (const d of got) {
            assert.equal(claimedBy.has(d.id), false, `delivery ${d.id} claimed twice`);
            claimedBy.set(d.id, worker);
            assert.equal(d.status, 'delivering');
            assert.equal(d.attempt, 1);
          }
        }
      };
      await Promise.all(['w1', 'w2', 'w3', 'w4'].map(claimer));
      assert.equal(claimedBy.size, queued.length);

      const first = queued[0]!;
      const owner = claimedBy.get(first.id)!;
      assert.equal(await store.deliveries.complete(first.id, 'someone-else', { status: 'delivered' }), false);
      assert.equal(await store.deliveries.complete(first.id, owner, { status: 'delivered', responseCode: 200, responseBody: 'x'.repeat(10_000) }), true);
      const done = await store.deliveries.get(first.id);
      assert.equal(done?.status, 'delivered');
      assert.equal(done?.responseBody?.length, 2048);
      assert.deepEqual(done?.payload, { i: 0, name: 'Zoë' });

      const second = queued[1]!;
      await store.deliveries.complete(second.id, claimedBy.get(second.id)!, { status: 'pending', responseCode: 503, nextAttemptAt: new Date(now.getTime() + 60_000) });
      assert.deepEqual(await store.deliveries.claimDue('w1', now, 10, 30_000), [], 'leases not expired, retry not due');
      const later = new Date(now.getTime() + 61_000);
      const again = await store.deliveries.claimDue('w9', later, 500, 30_000);
      // 118 expired leases plus the due retry
      assert.equal(again.length, 119);
      assert.equal(again.find((d) => d.id === second.id)?.attempt, 2);
      assert.equal((await store.deliveries.listForWebhook(wh.id, { limit: 50 })).items.length, 50);

      // Every attempt is kept; stats see what is unfinished and due; attempts go with their delivery.
      const stats = await store.deliveries.queueStats(later);
      assert.equal(stats.unfinished, 119);
      assert.equal(stats.due, 0, 'all leased to w9 until later + 30 s');
      assert.equal((await store.deliveries.queueStats(new Date(later.getTime() + 30_000))).due, 119);
      await store.deliveries.recordAttempt({ deliveryId: second.id, attempt: 1, outcome: 'http_error', responseCode: 503, responseBody: 'y'.repeat(5000), error: null, durationMs: 12.4, at: new Date(now.getTime()) });
      await store.deliveries.recordAttempt({ deliveryId: second.id, attempt: 2, outcome: 'delivered', responseCode: 200, responseBody: null, error: null, durationMs: 3, at: new Date(now.getTime() + 1) });
      const attempts = await all((cursor) => store.deliveries.listAttempts(second.id, { cursor, limit: 1 }));
      assert.deepEqual(attempts.map((a) => [a.attempt, a.outcome, a.responseCode, a.durationMs]), [[1, 'http_error', 503, 12], [2, 'delivered', 200, 3]]);
      assert.equal(attempts[0]!.responseBody?.length, 2048);
      await rejectsWith(store.deliveries.recordAttempt({ deliveryId: 'no-such-delivery', attempt: 1, outcome: 'x', responseCode: null, responseBody: null, error: null, durationMs: 0 }), NotFoundError);
      await store.webhooks.delete(wh.id);
      assert.equal(await store.deliveries.get(second.id), null);
      assert.deepEqual((await store.deliveries.listAttempts(second.id)).items, []);
    });

    test('settings: putIfAbsent keeps the first value under a race', async () => {
      const key = `mac-${randomUUID()}`;
      assert.equal(await store.settings.get(key), null);
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.settings.putIfAbsent(key, `v${i}`)));
      assert.equal(new Set(results).size, 1);
      assert.equal(await store.settings.get(key), results[0]);
    });

    test('login attempts: count per key within a window, shared and pruned', async () => {
      const k1 = `ip:${randomUUID()}`;
      const k2 = `acct:${randomUUID()}`;
      const t0 = new Date(1_800_000_000_000);
      assert.deepEqual([...(await store.loginAttempts.increment([k1, k2], 60_000, t0))], [[k1, 1], [k2, 1]]);
      await Promise.all(Array.from({ length: 20 }, () => store.loginAttempts.increment([k1], 60_000, t0)));
      assert.equal((await store.loginAttempts.get([k1], 60_000, new Date(t0.getTime() + 59_999))).get(k1), 21);
      assert.equal((await store.loginAttempts.get([k1], 60_000, new Date(t0.getTime() + 60_000))).get(k1), 0, 'window over');
      assert.equal((await store.loginAttempts.increment([k1], 60_000, new Date(t0.getTime() + 60_000))).get(k1), 1, 'new window');
      await store.loginAttempts.clear(k1);
      assert.equal((await store.loginAttempts.get([k1, k2], 60_000, t0)).get(k1), 0);
      assert.ok(await store.loginAttempts.prune(60_000, new Date(t0.getTime() + 120_000)) >= 1);
      assert.equal((await store.loginAttempts.get([k2], 60_000, t0)).get(k2), 0);
    });

    test('login attempts: windows report the last failure, and one of concurrent claimers wins a paced attempt', async () => {
      const key = `acct:${randomUUID()}`;
      const t0 = new Date(1_800_000_100_000);
      assert.equal((await store.loginAttempts.windows([key], 60_000, t0)).get(key), undefined, 'no window yet');
      await store.loginAttempts.increment([key], 60_000, t0);
      const t1 = new Date(t0.getTime() + 5_000);
      await store.loginAttempts.increment([key], 60_000, t1);
      const w = (await store.loginAttempts.windows([key], 60_000, t1)).get(key);
      assert.deepEqual(w, { failures: 2, windowStart: t0, lastFailureAt: t1 });
      const t2 = new Date(t1.getTime() + 1_000);
      const claims = await Promise.all(Array.from({ length: 8 }, () => store.loginAttempts.claim(key, t1, t2)));
      assert.equal(claims.filter(Boolean).length, 1, `exactly one claim wins: ${claims.join(',')}`);
      assert.deepEqual((await store.loginAttempts.windows([key], 60_000, t2)).get(key)?.lastFailureAt, t2);
      assert.equal(await store.loginAttempts.claim(`acct:${randomUUID()}`, t1, t2), false, 'no window: nothing to claim');
    });

    test('the longest accepted inputs fit: 254-character registration address, 320-character login key, long names', async () => {
      const tag = randomUUID().slice(0, 8);
      const registered = `${tag}${'r'.repeat(56)}@${'d'.repeat(184)}.test`;
      assert.equal(registered.length, 254);
      const user = await store.users.create({ email: registered, name: 'N'.repeat(200), passwordHash: `$argon2id$${'h'.repeat(200)}` });
      assert.equal((await store.users.getByEmail(registered.toUpperCase()))?.id, user.id);
      const login = `${'l'.repeat(64)}@${'e'.repeat(250)}.test`;
      assert.equal(login.length, 320);
      assert.equal(await store.users.getByEmail(login), null, 'a 320-character lookup is an ordinary miss');
      // Every throttle key the code builds, at the longest input each accepts (an IPv6 address with a zone too).
      const keys = [`acct:${login}`, `reset:acct:${login}`, `mfa:${'u'.repeat(128)}`, `ip:fe80:0000:0000:0000:0204:61ff:fe9d:f156%${'z'.repeat(64)}`,
        `device:${'k'.repeat(512)}`, `x:${'ü'.repeat(2000)}`];
      const counts = await store.loginAttempts.increment(keys, 60_000);
      for (const k of keys) assert.equal(counts.get(k), 1, `counted: ${k.slice(0, 24)}...`);
      assert.equal((await store.loginAttempts.get(keys, 60_000)).get(keys[0]!), 1);
      await store.loginAttempts.clear(keys[0]!);
      assert.equal((await store.loginAttempts.get(keys, 60_000)).get(keys[0]!), 0);
      const org = await store.orgs.create({ slug: `${tag}${'s'.repeat(55)}`, name: 'O'.repeat(200), createdBy: user.id });
      assert.equal(org.slug.length, 63);
      const hook = await store.webhooks.create({ orgId: org.id, url: `https://example.com/${'p'.repeat(2020)}`, secret: 's'.repeat(64), events: ['*'] });
      assert.equal(hook.url.length, 2040);
      const session = await store.sessions.create({
        id: randomUUID(), userId: user.id, expiresAt: new Date(Date.now() + 60_000), idleExpiresAt: new Date(Date.now() + 60_000),
        userAgent: 'A'.repeat(4096), clientIp: 'fe80:0000:0000:0000:0204:61ff:fe9d:f156',
      });
      assert.equal((await store.sessions.get(session.id))?.userAgent?.length, 4096);
      await store.audit.insert([{ id: randomUUID(), at: new Date(), actor: user.id, org: org.id, action: 'user.login', target: login, clientIp: null, userAgent: 'A'.repeat(4096), data: { email: login } }]);
      const mail = await store.mailOutbox.enqueue([{ template: 'verify-email', toAddress: registered, payload: 'x' }]);
      assert.equal(mail[0]!.toAddress, registered);
      const token = await store.accountTokens.create({ id: randomUUID(), purpose: 'reset_password', userId: user.id, email: registered, expiresAt: new Date(Date.now() + 60_000) });
      assert.equal(token.email, registered);
    });

    test('memberships: listApprovedForUser is the approved organizations only, by slug, bounded', async () => {
      const user = await newUser();
      const tag = randomUUID().slice(0, 6);
      const make = async (slug: string, status: 'approved' | 'pending' | 'suspended', role: 'owner' | 'member') => {
        const org = await store.orgs.create({ slug: `${slug}-${tag}`, name: slug });
        if (status !== 'pending') await store.orgs.setStatus(org.id, status, null);
        await store.memberships.add({ orgId: org.id, userId: user.id, role });
      };
      await make('zeta', 'approved', 'member');
      await make('alpha', 'approved', 'owner');
      await make('beta', 'pending', 'owner');
      await make('gamma', 'suspended', 'member');
      assert.deepEqual(await store.memberships.listApprovedForUser(user.id, 10), [
        { slug: `alpha-${tag}`, role: 'owner' }, { slug: `zeta-${tag}`, role: 'member' },
      ]);
      assert.equal((await store.memberships.listApprovedForUser(user.id, 1)).length, 1);
    });

    test('memberships: two owners demoting each other at once cannot leave the organization without an owner', async () => {
      const org = await store.orgs.create({ slug: `lock-${randomUUID().slice(0, 8)}`, name: 'Lock' });
      const [a, b] = [await newUser(), await newUser()];
      await store.memberships.add({ orgId: org.id, userId: a.id, role: 'owner' });
      await store.memberships.add({ orgId: org.id, userId: b.id, role: 'owner' });
      const demote = (who: string) => store.transaction(async (tx) => {
        await tx.memberships.lockOwners(org.id);
        await tx.memberships.setRole(org.id, who, 'admin');
        if (await tx.memberships.countByRole(org.id, 'owner') === 0) throw new Error('last owner');
      });
      const results = await Promise.allSettled([demote(a.id), demote(b.id)]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one demotion wins');
      assert.equal(await store.memberships.countByRole(org.id, 'owner'), 1);
    });

    test('webhooks: deactivate is won by exactly one of several concurrent callers', async () => {
      const org = await store.orgs.create({ slug: `w-${randomUUID().slice(0, 8)}`, name: 'W' });
      const hook = await store.webhooks.create({ orgId: org.id, url: 'https://example.com/h', secret: 's', events: ['*'] });
      const results = await Promise.all(Array.from({ length: 5 }, () => store.webhooks.deactivate(hook.id)));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal((await store.webhooks.get(hook.id))!.active, false);
      assert.equal(await store.webhooks.deactivate(randomUUID()), false);
    });

    test('change feed: what a cached session carries is announced in the same transaction; rollbacks announce nothing', async () => {
      const start = await store.changes.latest();
      const user = await newUser();
      const session = await store.sessions.create({ id: randomUUID(), userId: user.id, expiresAt: new Date(Date.now() + 60_000), idleExpiresAt: new Date(Date.now() + 60_000) });
      assert.equal(await store.sessions.revoke(session.id), true);
      assert.equal(await store.sessions.revoke(session.id), false, 'a second revoke changes nothing');
      await store.users.update(user.id, { roles: ['admin'] });
      await store.users.update(user.id, { passwordHash: 'x' });
      const org = await store.orgs.create({ slug: `o-${randomUUID().slice(0, 8)}`, name: 'O' });
      // A membership of an organization not yet approved is not in any session (X-Auth-Orgs lists approved ones).
      await store.memberships.add({ orgId: org.id, userId: user.id, role: 'member' });
      await store.orgs.setStatus(org.id, 'approved', null);
      const other = await newUser();
      await store.memberships.add({ orgId: org.id, userId: other.id, role: 'member' });
      await assert.rejects(store.transaction(async (tx) => {
        await tx.users.update(user.id, { disabled: true });
        throw new Error('roll back');
      }));
      const entries = await store.changes.since(start);
      assert.deepEqual(entries.map((e) => [e.kind, e.subject]), [
        ['session', session.id], ['user', user.id], ['org', org.id], ['user', other.id],
      ], 'a password change is not announced (sessions do not carry it), nor a membership of a pending organization; the rolled-back disable is not either');
      assert.ok(entries.every((e, i) => i === 0 || e.seq > entries[i - 1]!.seq));
      assert.equal(await store.changes.latest(), entries.at(-1)!.seq);
      assert.ok(await store.changes.oldest() <= entries[0]!.seq);
      assert.ok(await store.changes.prune(new Date(Date.now() + 1000)) >= 4);
      assert.deepEqual(await store.changes.since(start), []);
    });
  });
}
