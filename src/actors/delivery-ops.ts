/**
 * The webhook deliverer's write transaction as a named operation (store/transaction-op.ts): on SQLite it runs whole in
 * the writer thread, in one message. The SQLite writer imports this module by URL: keep it free of side effects.
 */
import type { DeliveryOutcome, NewDeliveryAttempt } from '../store/store.js';
import { transactionOp } from '../store/transaction-op.js';

/** Records an attempt and the delivery's new state together; false when the lease was lost meanwhile. */
export const finishDeliveryTx = transactionOp(import.meta.url, 'finishDeliveryTx',
  async (tx, a: { attempt: NewDeliveryAttempt; deliveryId: string; workerId: string; outcome: DeliveryOutcome }): Promise<boolean> => {
    await tx.deliveries.recordAttempt(a.attempt);
    return tx.deliveries.complete(a.deliveryId, a.workerId, a.outcome);
  });
