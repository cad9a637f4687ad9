// Which repository methods the SQLite store ships whole to its writer thread (one message per write transaction,
// issue 13 §4) and which stay on the main thread's reader. Every method must be classified on purpose: a new method
// fails here until it is added to READ_METHODS (src/store/sql/sql-store.ts) or to the writes below.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { READ_METHODS } from '../../src/store/sql/sql-store.js';
import { sqliteDatabase } from './databases.js';
import { openStore } from '../../src/store/index.js';
import { silentLogger } from '../../src/log/logger.js';

const WRITES = [
  'users.create', 'users.update', 'users.delete',
  'identities.link', 'identities.unlink',
  'sessions.create', 'sessions.revoke', 'sessions.revokeForUser', 'sessions.deleteExpired', 'sessions.touchLastSeen',
  'orgs.create', 'orgs.update', 'orgs.setStatus', 'orgs.delete',
  'memberships.add', 'memberships.setRole', 'memberships.remove',
  'webhooks.create', 'webhooks.update', 'webhooks.deactivate', 'webhooks.delete',
  'deliveries.enqueue', 'deliveries.claimDue', 'deliveries.complete', 'deliveries.deleteFinishedBefore', 'deliveries.recordAttempt',
  'audit.insert', 'audit.deleteBefore',
  'settings.putIfAbsent',
  'loginAttempts.increment', 'loginAttempts.claim', 'loginAttempts.clear', 'loginAttempts.prune',
  'changes.prune',
  'mailOutbox.enqueue', 'mailOutbox.claimDue', 'mailOutbox.complete', 'mailOutbox.deleteFinishedBefore',
  'accountTokens.create', 'accountTokens.consume', 'accountTokens.updateData', 'accountTokens.revokeForUser', 'accountTokens.deleteExpired',
  'mfa.putPendingTotp', 'mfa.confirmTotp', 'mfa.useTotpStep', 'mfa.deleteTotp', 'mfa.replaceRecoveryCodes', 'mfa.useRecoveryCode',
  'mfa.deleteRecoveryCodes', 'mfa.addCredential', 'mfa.renameCredential', 'mfa.removeCredential', 'mfa.useCredential', 'mfa.deleteCredentials',
  'signingKeys.insert', 'signingKeys.deleteGenerationsBelow',
];

test('every repository method is classified read (stays on the reader) or write (one writer message)', async () => {
  const db = sqliteDatabase();
  const store = await openStore(db.config, { logger: silentLogger() });
  try {
    const methods: string[] = [];
    for (const [repo, value] of Object.entries(store)) {
      if (value === null || typeof value !== 'object') continue;
      for (const [method, fn] of Object.entries(value as Record<string, unknown>)) if (typeof fn === 'function') methods.push(`${repo}.${method}`);
    }
    const unclassified = methods.filter((m) => !READ_METHODS.has(m) && !WRITES.includes(m));
    assert.deepEqual(unclassified, [], 'classify these in READ_METHODS or in WRITES');
    for (const r of READ_METHODS) assert.ok(methods.includes(r), `READ_METHODS names ${r}, which no repository has`);
    // A read costs no writer message; a write costs exactly one.
    const s0 = store.writerStats!();
    await store.users.count();
    await store.loginAttempts.windows(['ip:x'], 60_000);
    const s1 = store.writerStats!();
    assert.deepEqual(s1, s0, 'reads send nothing to the writer');
    await store.loginAttempts.increment(['ip:x'], 60_000);
    const s2 = store.writerStats!();
    assert.deepEqual([s2.transactions - s1.transactions, s2.messages - s1.messages], [1, 1]);
  } finally {
    await store.close();
    await db.drop();
  }
});
