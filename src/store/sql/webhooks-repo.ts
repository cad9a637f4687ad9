import { NotFoundError } from '../../errors/index.js';
import { afterCursor, pageLimit, toPage } from '../cursor.js';
import {
  RESPONSE_BODY_MAX, type DeliveriesRepo, type DeliveryAttempt, type DeliveryOutcome, type NewDelivery,
  type NewDeliveryAttempt, type NewWebhook, type Page,
  type PageOptions, type Webhook, type WebhookDelivery, type WebhooksRepo,
} from '../store.js';
import { valuesList } from './dialect.js';
import type { SqlValue } from './queryable.js';
import type { RepoContext } from './repo-context.js';
import { ms, placeholders, rowToAttempt, rowToDelivery, rowToWebhook } from './rows.js';

/** Rows per multi-row INSERT: 500 x 12 columns stays far below every driver's parameter limit. */
const CHUNK = 500;

/** Webhooks over any SQL driver. */
export function webhooksRepo(ctx: RepoContext): WebhooksRepo {
  const { q } = ctx;
  const get = async (id: string): Promise<Webhook | null> => {
    const rows = await q.all('SELECT * FROM webhooks WHERE id = ?', [id]);
    return rows[0] ? rowToWebhook(rows[0]) : null;
  };
  return {
    async create(w: NewWebhook): Promise<Webhook> {
      const webhook: Webhook = {
        id: w.id ?? ctx.newId(), orgId: w.orgId, url: w.url, secret: w.secret, events: [...w.events],
        active: w.active ?? true, createdAt: w.createdAt ?? new Date(ctx.now()),
      };
      try {
        await q.run('INSERT INTO webhooks (id, org_id, url, secret, events, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
          [webhook.id, webhook.orgId, webhook.url, webhook.secret, JSON.stringify(webhook.events), webhook.active ? 1 : 0,
            ms(webhook.createdAt)]);
      } catch (err) {
        if (err instanceof NotFoundError) throw new NotFoundError('organization', err);
        throw err;
      }
      return webhook;
    },
    get,
    async update(id, patch): Promise<Webhook> {
      const sets: string[] = [];
      const params: SqlValue[] = [];
      if (patch.url !== undefined) { sets.push('url = ?'); params.push(patch.url); }
      if (patch.secret !== undefined) { sets.push('secret = ?'); params.push(patch.secret); }
      if (patch.events !== undefined) { sets.push('events = ?'); params.push(JSON.stringify(patch.events)); }
      if (patch.active !== undefined) { sets.push('active = ?'); params.push(patch.active ? 1 : 0); }
      if (sets.length > 0) await q.run(`UPDATE webhooks SET ${sets.join(', ')} WHERE id = ?`, [...params, id]);
      const webhook = await get(id);
      if (!webhook) throw new NotFoundError('webhook');
      return webhook;
    },
    async deactivate(id: string): Promise<boolean> {
      // Conditional, so of two replicas (or two failed deliveries) deciding at once, exactly one wins.
      return await q.run('UPDATE webhooks SET active = ? WHERE id = ? AND active = ?', [0, id, 1]) > 0;
    },
    async delete(id: string): Promise<void> {
      if (await q.run('DELETE FROM webhooks WHERE id = ?', [id]) === 0) throw new NotFoundError('webhook');
    },
    async listForOrg(orgId: string, options: PageOptions = {}): Promise<Page<Webhook>> {
      const limit = pageLimit(options.limit);
      const after = afterCursor(options.cursor, 'created_at', 'id', false);
      const rows = await q.all(`SELECT * FROM webhooks WHERE org_id = ?${after.sql} ORDER BY created_at, id LIMIT ?`,
        [orgId, ...after.params, limit + 1]);
      return toPage(rows.map(rowToWebhook), limit, (w) => [w.createdAt.getTime(), w.id]);
    },
    async listSubscribed(orgId: string, event: string): Promise<Webhook[]> {
      // Events are a JSON array; an org has few webhooks, so the match (exact name or '*') is done here.
      const rows = await q.all('SELECT * FROM webhooks WHERE org_id = ? AND active = ? ORDER BY created_at, id', [orgId, 1]);
      return rows.map(rowToWebhook).filter((w) => w.events.includes(event) || w.events.includes('*'));
    },
  };
}

const DELIVERY_COLUMNS = ['id', 'webhook_id', 'event', 'payload', 'attempt', 'status', 'response_code', 'response_body',
  'next_attempt_at', 'claimed_by', 'claimed_until', 'created_at', 'updated_at'] as const;

/** The webhook delivery outbox over any SQL driver. */
export function deliveriesRepo(ctx: RepoContext): DeliveriesRepo {
  const { q, dialect } = ctx;
  return {
    async enqueue(input: readonly NewDelivery[]): Promise<WebhookDelivery[]> {
      const now = ctx.now();
      const deliveries: WebhookDelivery[] = input.map((d) => ({
        id: d.id ?? ctx.newId(), webhookId: d.webhookId, event: d.event, payload: d.payload ?? null, attempt: 0,
        status: 'pending', responseCode: null, responseBody: null, nextAttemptAt: d.nextAttemptAt ?? new Date(now),
        claimedBy: null, claimedUntil: null, createdAt: d.createdAt ?? new Date(now), updatedAt: new Date(now),
      }));
      const chunks: WebhookDelivery[][] = [];
      for (let i = 0; i < deliveries.length; i += CHUNK) chunks.push(deliveries.slice(i, i + CHUNK));
      const insert = async (tq: typeof q, chunk: WebhookDelivery[]): Promise<void> => {
        const params: SqlValue[] = [];
        for (const d of chunk) {
          params.push(d.id, d.webhookId, d.event, JSON.stringify(d.payload), 0, 'pending', null, null, ms(d.nextAttemptAt),
            null, null, ms(d.createdAt), ms(d.updatedAt));
        }
        await tq.run(`INSERT INTO webhook_deliveries (${DELIVERY_COLUMNS.join(', ')}) VALUES ${valuesList(DELIVERY_COLUMNS.length, chunk.length)}`, params);
      };
      try {
        if (chunks.length === 1) await insert(q, chunks[0]!);
        else if (chunks.length > 1) await ctx.atomic(async (tq) => { for (const c of chunks) await insert(tq, c); });
      } catch (err) {
        if (err instanceof NotFoundError) throw new NotFoundError('webhook', err);
        throw err;
      }
      return deliveries;
    },
    async get(id: string): Promise<WebhookDelivery | null> {
      const rows = await q.all('SELECT * FROM webhook_deliveries WHERE id = ?', [id]);
      return rows[0] ? rowToDelivery(rows[0]) : null;
    },
    async claimDue(workerId: string, now: Date, limit: number, leaseMs: number): Promise<WebhookDelivery[]> {
      const t = ms(now);
      const n = Math.max(1, Math.trunc(limit));
      return ctx.atomic(async (tq) => {
        // SKIP LOCKED (PostgreSQL, MySQL 8, MariaDB 10.6+) lets a second claimer take other rows instead of waiting;
        // on SQLite the transaction is BEGIN IMMEDIATE, so claimers run one after another.
        const due = await tq.all(
          `SELECT id FROM webhook_deliveries
           WHERE (status = 'pending' AND next_attempt_at <= ?) OR (status = 'delivering' AND claimed_until <= ?)
           ORDER BY next_attempt_at, id LIMIT ? ${dialect.forUpdateSkipLocked}`,
          [t, t, n],
        );
        if (due.length === 0) return [];
        const ids = due.map((r) => String(r.id));
        await tq.run(
          `UPDATE webhook_deliveries SET status = 'delivering', claimed_by = ?, claimed_until = ?, attempt = attempt + 1,
           updated_at = ? WHERE id IN (${placeholders(ids.length)})`,
          [workerId, t + leaseMs, t, ...ids],
        );
        const rows = await tq.all(`SELECT * FROM webhook_deliveries WHERE id IN (${placeholders(ids.length)}) ORDER BY next_attempt_at, id`, ids);
        return rows.map(rowToDelivery);
      });
    },
    async complete(id: string, workerId: string, outcome: DeliveryOutcome): Promise<boolean> {
      const at = outcome.at ? ms(outcome.at) : ctx.now();
      const body = outcome.responseBody === undefined || outcome.responseBody === null
        ? null : outcome.responseBody.slice(0, RESPONSE_BODY_MAX);
      const next = outcome.nextAttemptAt === undefined ? '' : ', next_attempt_at = ?';
      const params: SqlValue[] = [outcome.status, outcome.responseCode ?? null, body, at,
        ...(outcome.nextAttemptAt === undefined ? [] : [ms(outcome.nextAttemptAt)]), id, workerId];
      const n = await q.run(
        `UPDATE webhook_deliveries SET status = ?, response_code = ?, response_body = ?, updated_at = ?,
         claimed_by = NULL, claimed_until = NULL${next} WHERE id = ? AND claimed_by = ? AND status = 'delivering'`,
        params,
      );
      return n > 0;
    },
    async listForWebhook(webhookId: string, options: PageOptions = {}): Promise<Page<WebhookDelivery>> {
      const limit = pageLimit(options.limit);
      const after = afterCursor(options.cursor, 'created_at', 'id', true);
      const rows = await q.all(
        `SELECT * FROM webhook_deliveries WHERE webhook_id = ?${after.sql} ORDER BY created_at DESC, id DESC LIMIT ?`,
        [webhookId, ...after.params, limit + 1],
      );
      return toPage(rows.map(rowToDelivery), limit, (d) => [d.createdAt.getTime(), d.id]);
    },
    async deleteFinishedBefore(before: Date): Promise<number> {
      return q.run("DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND updated_at < ?", [ms(before)]);
    },
    async recordAttempt(a: NewDeliveryAttempt): Promise<DeliveryAttempt> {
      const cut = (v: string | null): string | null => (v === null ? null : v.slice(0, RESPONSE_BODY_MAX));
      const attempt: DeliveryAttempt = {
        id: a.id ?? ctx.newId(), deliveryId: a.deliveryId, attempt: a.attempt, at: a.at ?? new Date(ctx.now()),
        outcome: a.outcome, responseCode: a.responseCode, responseBody: cut(a.responseBody), error: cut(a.error),
        durationMs: Math.max(0, Math.round(a.durationMs)),
      };
      try {
        await q.run(`INSERT INTO webhook_attempts (id, delivery_id, attempt, at, outcome, response_code, response_body, error, duration_ms)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [attempt.id, attempt.deliveryId, attempt.attempt, ms(attempt.at), attempt.outcome,
          attempt.responseCode, attempt.responseBody, attempt.error, attempt.durationMs]);
      } catch (err) {
        if (err instanceof NotFoundError) throw new NotFoundError('delivery', err);
        throw err;
      }
      return attempt;
    },
    async listAttempts(deliveryId: string, options: PageOptions = {}): Promise<Page<DeliveryAttempt>> {
      const limit = pageLimit(options.limit);
      const after = afterCursor(options.cursor, 'at', 'id', false);
      const rows = await q.all(`SELECT * FROM webhook_attempts WHERE delivery_id = ?${after.sql} ORDER BY at, id LIMIT ?`,
        [deliveryId, ...after.params, limit + 1]);
      return toPage(rows.map(rowToAttempt), limit, (a) => [a.at.getTime(), a.id]);
    },
    async queueStats(now: Date): Promise<{ unfinished: number; due: number }> {
      const t = ms(now);
      const rows = await q.all(
        `SELECT COUNT(*) AS unfinished,
           SUM(CASE WHEN (status = 'pending' AND next_attempt_at <= ?) OR (status = 'delivering' AND claimed_until <= ?) THEN 1 ELSE 0 END) AS due
         FROM webhook_deliveries WHERE status IN ('pending', 'delivering')`, [t, t]);
      return { unfinished: Number(rows[0]?.unfinished ?? 0), due: Number(rows[0]?.due ?? 0) };
    },
  };
}
