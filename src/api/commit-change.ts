import type { MembershipAction } from '../events/domain-events.js';
import { transactionOp, type ErrorClass, type TransactionOp } from '../store/transaction-op.js';
import type { Organization, StoreRepos } from '../store/store.js';
import type { ApiCall } from './context.js';
import { ApiNotFoundError, StateConflictError } from './errors.js';
import { enqueueEvent, type WebhookEvent } from './events.js';

/** A membership change announced by a transaction: the users whose cached memberships are stale, and the audit entry. */
export interface MembershipChange {
  action: MembershipAction;
  orgId: string;
  target: string;
  userIds: readonly string[];
  data: Record<string, unknown>;
}

/** What a change announces from inside its transaction; acted on only once it has committed. */
export interface ChangeEffects {
  /** Queues `event` to the organization's subscribed webhooks, in this transaction (the outbox). */
  webhook(org: Organization, event: WebhookEvent, data: Record<string, unknown>): Promise<void>;
  /** Announces, after commit, a membership change. */
  membership(change: MembershipChange): void;
}

/** What a change transaction returns across the thread boundary: its value and the effects it announced. */
export interface ChangeOutcome<T> {
  value: T;
  queued: number;
  changes: MembershipChange[];
}

/** The API's own errors a change may throw; the caller receives them as these classes. */
const CHANGE_ERRORS: readonly ErrorClass[] = [StateConflictError, ApiNotFoundError];

/**
 * Defines one change of the SSO API as a named transaction (store/transaction-op.ts): the body gets the repositories
 * and an effects recorder, and the effects travel back with the value. Export the result under `name`.
 */
export function changeOp<A, T>(module: string, name: string,
  body: (tx: StoreRepos, effects: ChangeEffects, args: A) => Promise<T>): TransactionOp<A, ChangeOutcome<T>> {
  return transactionOp(module, name, async (tx, args) => {
    let queued = 0;
    const changes: MembershipChange[] = [];
    const value = await body(tx, {
      async webhook(org, event, data) {
        queued += await enqueueEvent(tx, org, event, data);
      },
      membership(c) {
        changes.push(c);
      },
    }, args);
    return { value, queued, changes };
  }, CHANGE_ERRORS);
}

/**
 * Runs one change of the SSO API the same way every time: the change and its outbox rows commit in one transaction
 * (or none of it does), run whole by the store in one step (on SQLite: one message to the writer thread); then,
 * committed, its domain events are published: `membership.changed` (the audit trail records it, this replica's
 * session cache drops the users' entries; other replicas learn from the change feed the repos wrote in the same
 * transaction) and `outbox.queued` (the webhook deliverer looks at once instead of at its next poll).
 */
export async function commitChange<A, T>(call: ApiCall, op: TransactionOp<A, ChangeOutcome<T>>, args: A): Promise<T> {
  const { value, queued, changes } = await call.deps.store.perform(op, args);
  const origin = { actor: call.caller?.user.id ?? null, clientIp: call.ctx.clientIp, userAgent: call.req.headers['user-agent']?.slice(0, 512) ?? null };
  for (const c of changes) call.deps.events.publish('membership.changed', { ...c, origin });
  if (queued > 0) call.deps.events.publish('outbox.queued', { count: queued });
  return value;
}
