import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../accounts/secret-box.js';
import type { NewOutboxMail, StoreRepos } from '../store/store.js';
import type { MailTemplateName } from './mail-templates.js';

/** A message to queue: which template, to whom, with which variables. */
export interface MailRequest {
  template: MailTemplateName;
  to: string;
  vars: Record<string, string>;
}

/** Queues account email in the outbox; the mail sender actor delivers it. */
export interface MailOutbox {
  /** Whether a transport is configured; without one nothing is queued (and flows that need mail say so). */
  readonly enabled: boolean;
  /**
   * Queues a message on `tx`, which must be the transaction of the change that causes it: the message exists if and
   * only if the change committed. The variables are sealed (they may hold a single-use link).
   */
  queue(tx: Pick<StoreRepos, 'mailOutbox'>, mail: MailRequest): Promise<void>;
  /**
   * The outbox row of a message, sealed here, for a named transaction (store/transaction-op.ts) to enqueue with the
   * change that causes it: the key stays on this thread and the row is plain data. Null when no transport is configured.
   */
  seal(mail: MailRequest): NewOutboxMail | null;
  /** Wakes the sender after a commit (it also polls). */
  kick(): void;
}

/** The outbox over a secret box; `kick` is wired to the sender once it exists. */
export function createMailOutbox(options: { enabled: boolean; box: SecretBox; kick?: () => void }): MailOutbox & { setKick(kick: () => void): void } {
  let kick = options.kick ?? ((): void => undefined);
  const seal = (mail: MailRequest): NewOutboxMail | null => {
    if (!options.enabled) return null;
    const id = randomUUID();
    return { id, template: mail.template, toAddress: mail.to, payload: options.box.seal(JSON.stringify(mail.vars), mailContext(id)) };
  };
  return {
    enabled: options.enabled,
    async queue(tx, mail) {
      const row = seal(mail);
      if (row !== null) await tx.mailOutbox.enqueue([row]);
    },
    seal,
    kick: () => kick(),
    setKick(next) { kick = next; },
  };
}

/** The authenticated-data context a queued message's payload is sealed under (binds it to its row). */
export function mailContext(id: string): string {
  return `mail:${id}`;
}
