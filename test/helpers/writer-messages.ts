// Counting SQLite writer messages (issue 13, section 4): every write transaction should reach the writer thread as ONE
// message. Shared by the writer-messages tests of the SSO API, the account flows, OAuth linking and the CLI.
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store.js';

/** Write transactions started and messages sent to the SQLite writer so far. */
export function writerStats(store: Store): { transactions: number; messages: number } {
  const s = store.writerStats?.();
  assert.ok(s, 'the SQLite store counts its writer messages');
  return { ...s };
}

/**
 * Returns `oneMessageEach(what, request, atLeast)`: it runs `request`, lets the writes it caused in the background land
 * (audit flush, deliveries, mail), and checks that it wrote at least `atLeast` transactions, each in exactly one message.
 */
export function oneMessagePerTransaction(store: Store, settleMs = 150) {
  return async function oneMessageEach<T>(what: string, request: () => Promise<T>, atLeast = 1): Promise<T> {
    const before = writerStats(store);
    const value = await request();
    await new Promise((r) => setTimeout(r, settleMs));
    const after = writerStats(store);
    const transactions = after.transactions - before.transactions;
    const messages = after.messages - before.messages;
    assert.ok(transactions >= atLeast, `${what}: ${transactions} write transactions, expected at least ${atLeast}`);
    assert.equal(messages, transactions, `${what}: ${messages} writer messages for ${transactions} write transactions`);
    return value;
  };
}
