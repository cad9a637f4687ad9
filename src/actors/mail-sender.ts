/**
 * The mail sender: it sends the mail outbox, the way the webhook deliverer sends webhooks. Every
 * `mail.outbox.poll_interval` (and at once when this replica queued something) it reads how many messages are due
 * (read-only), claims up to `batch_size` with a lease (SKIP LOCKED on PostgreSQL and MySQL, the single writer on
 * SQLite: each message leaves from one replica), opens each payload, renders the template and hands it to the
 * transport. A refusal or timeout is retried after exponential backoff with jitter, up to `max_attempts`; a sent
 * or finally failed message loses its payload. Nothing here runs on a request's path: a slow or absent mail server
 * delays mail, never a login. `stop` stops claiming and lets sends in flight finish until its deadline; a send cut
 * short keeps its claim until the lease ends and is retried then (at-least-once).
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Actor } from './actor.js';
import { backoffDelay } from './backoff.js';
import { drainOutbox, outboxLoop } from './outbox-drain.js';
import type { MailConfig } from '../mail/config-schema.js';
import type { MailTransport } from '../mail/mail-transport.js';
import type { MailRenderer } from '../mail/render-mail.js';
import { mailContext } from '../mail/mail-outbox.js';
import type { SecretBox } from '../accounts/secret-box.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { OutboxMail, Store } from '../store/store.js';

export interface MailSenderOptions {
  store: Store;
  config: MailConfig['outbox'];
  transport: MailTransport;
  renderer: MailRenderer;
  box: SecretBox;
  metrics: Pick<Metrics, 'mailQueueDepth' | 'mailSent' | 'mailSendDuration'>;
  logger: Logger;
  workerId?: string;
  clock?: () => number;
  random?: () => number;
}

export interface MailSender extends Actor {
  kick(): void;
  /** Sends what is due now, until nothing is; resolves with how many attempts were made (for tests). */
  runOnce(): Promise<number>;
}

/** Builds the sender; `start` arms its poll timer (unless `mail.outbox.deliver` is false). */
export function createMailSender(options: MailSenderOptions): MailSender {
  const { store, config, transport, renderer, box, metrics, logger } = options;
  const clock = options.clock ?? Date.now;
  const random = options.random ?? Math.random;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  let stopping = false;
  const { loop, runOnce, kick } = outboxLoop({ intervalMs: config.poll_interval, what: 'mail sender', logger, ready: () => !stopping, drain });

  function drain(): Promise<number> {
    return drainOutbox({
      outbox: store.mailOutbox, workerId, batchSize: config.batch_size, leaseMs: config.lease, clock,
      stopping: () => stopping,
      setDepth: (unfinished) => metrics.mailQueueDepth.set(unfinished),
      handle: send,
      onBookkeepingFailure: (err, m) => logger.warn({ err, mail: m.id }, 'mail bookkeeping failed; the message is retried after its lease'),
    });
  }

  async function send(mail: OutboxMail): Promise<void> {
    const started = performance.now();
    let error: string;
    try {
      if (mail.payload === null) throw new PermanentFailure('the message has no payload');
      let vars: Record<string, unknown>;
      try {
        vars = JSON.parse(box.open(mail.payload, mailContext(mail.id))) as Record<string, unknown>;
      } catch {
        throw new PermanentFailure('the payload cannot be opened with the current accounts.encryption_key');
      }
      const message = renderer.render(mail.template, vars);
      await transport.send(mail.toAddress, message, mail.id);
      metrics.mailSendDuration.observe((performance.now() - started) / 1000);
      metrics.mailSent.inc({ result: 'sent' });
      await store.mailOutbox.complete(mail.id, workerId, { status: 'sent' }, new Date(clock()));
      return;
    } catch (err) {
      metrics.mailSendDuration.observe((performance.now() - started) / 1000);
      // Log-safe: the transport's message and SMTP code, never the message body (it may hold a link).
      const code = (err as { responseCode?: unknown; code?: unknown }).responseCode ?? (err as { code?: unknown }).code;
      error = `${code === undefined ? '' : `${String(code)}: `}${err instanceof Error ? err.message : String(err)}`.slice(0, 512);
      // 5xx from the server is a permanent refusal of this message (RFC 5321 §4.2.1); anything else may pass later.
      const permanent = err instanceof PermanentFailure || (typeof code === 'number' && code >= 500 && code < 600);
      if (!permanent && mail.attempt < config.max_attempts) {
        metrics.mailSent.inc({ result: 'retry' });
        const delay = backoffDelay(mail.attempt - 1, { baseMs: config.backoff_base, capMs: config.backoff_cap, random });
        logger.info({ mail: mail.id, template: mail.template, attempt: mail.attempt, retryInMs: delay, error }, 'mail not sent; will retry');
        await store.mailOutbox.complete(mail.id, workerId, { status: 'pending', error, nextAttemptAt: new Date(clock() + delay) }, new Date(clock()));
        return;
      }
    }
    metrics.mailSent.inc({ result: 'failed' });
    logger.warn({ mail: mail.id, template: mail.template, attempts: mail.attempt, error }, 'mail failed for good');
    await store.mailOutbox.complete(mail.id, workerId, { status: 'failed', error }, new Date(clock()));
  }

  return {
    name: 'mail-sender',
    kick,
    runOnce,
    start() {
      if (!config.deliver || loop.armed) return;
      stopping = false;
      loop.start();
      setImmediate(() => void loop.wake()); // mail left over from before a restart goes out at once
    },
    async stop(deadlineMs) {
      stopping = true;
      await loop.stop(deadlineMs);
      transport.close();
    },
  };
}

/** A failure no retry can fix (unopenable payload, a 5xx refusal). */
class PermanentFailure extends Error {}
