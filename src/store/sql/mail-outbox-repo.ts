import { afterCursor, pageLimit, toPage } from '../cursor.js';
import type { MailOutboxRepo, MailStatus, NewOutboxMail, OutboxMail } from '../accounts-store.js';
import type { PageOptions, Page } from '../store.js';
import { valuesList } from './dialect.js';
import type { SqlRow, SqlValue } from './queryable.js';
import type { RepoContext } from './repo-context.js';
import { ms, placeholders, strOrNull, toDate, toDateOrNull } from './rows.js';

const COLUMNS = ['id', 'template', 'to_address', 'payload', 'attempt', 'status', 'last_error', 'next_attempt_at',
  'claimed_by', 'claimed_until', 'created_at', 'updated_at'] as const;

/** Error text kept on a row is cut to this many characters. */
const ERROR_MAX = 1024;

function rowToMail(r: SqlRow): OutboxMail {
  return {
    id: String(r.id), template: String(r.template), toAddress: String(r.to_address), payload: strOrNull(r.payload),
    attempt: Number(r.attempt), status: String(r.status) as MailStatus, lastError: strOrNull(r.last_error),
    nextAttemptAt: toDate(r.next_attempt_at), claimedBy: strOrNull(r.claimed_by), claimedUntil: toDateOrNull(r.claimed_until),
    createdAt: toDate(r.created_at), updatedAt: toDate(r.updated_at),
  };
}

/**
 * The mail outbox over any SQL driver: the same lease protocol as the webhook outbox (SKIP LOCKED claims on
 * PostgreSQL and MySQL, the single writer on SQLite), so each message goes out from one replica.
 */
export function mailOutboxRepo(ctx: RepoContext): MailOutboxRepo {
  const { q, dialect } = ctx;
  return {
    async enqueue(input: readonly NewOutboxMail[]): Promise<OutboxMail[]> {
      if (input.length === 0) return [];
      const now = ctx.now();
      const mails: OutboxMail[] = input.map((m) => ({
        id: m.id ?? ctx.newId(), template: m.template, toAddress: m.toAddress, payload: m.payload, attempt: 0,
        status: 'pending', lastError: null, nextAttemptAt: m.nextAttemptAt ?? new Date(now), claimedBy: null,
        claimedUntil: null, createdAt: new Date(now), updatedAt: new Date(now),
      }));
      const params: SqlValue[] = [];
      for (const m of mails) {
        params.push(m.id, m.template, m.toAddress, m.payload, 0, 'pending', null, ms(m.nextAttemptAt), null, null, now, now);
      }
      await q.run(`INSERT INTO mail_outbox (${COLUMNS.join(', ')}) VALUES ${valuesList(COLUMNS.length, mails.length)}`, params);
      return mails;
    },
    async get(id: string): Promise<OutboxMail | null> {
      const rows = await q.all('SELECT * FROM mail_outbox WHERE id = ?', [id]);
      return rows[0] ? rowToMail(rows[0]) : null;
    },
    async claimDue(workerId: string, now: Date, limit: number, leaseMs: number): Promise<OutboxMail[]> {
      const t = ms(now);
      return ctx.atomic(async (tq) => {
        const due = await tq.all(
          `SELECT id FROM mail_outbox
           WHERE (status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND claimed_until <= ?)
           ORDER BY next_attempt_at, id LIMIT ? ${dialect.forUpdateSkipLocked}`,
          [t, t, Math.max(1, Math.trunc(limit))],
        );
        if (due.length === 0) return [];
        const ids = due.map((r) => String(r.id));
        await tq.run(
          `UPDATE mail_outbox SET status = 'sending', claimed_by = ?, claimed_until = ?, attempt = attempt + 1, updated_at = ?
           WHERE id IN (${placeholders(ids.length)})`,
          [workerId, t + leaseMs, t, ...ids],
        );
        const rows = await tq.all(`SELECT * FROM mail_outbox WHERE id IN (${placeholders(ids.length)}) ORDER BY next_attempt_at, id`, ids);
        return rows.map(rowToMail);
      });
    },
    async complete(id: string, workerId: string, outcome: MailOutcomeInput, at?: Date): Promise<boolean> {
      const t = at ? ms(at) : ctx.now();
      // A sent or failed message keeps no payload: its link must not outlive the delivery in the database.
      const scrub = outcome.status === 'pending' ? '' : ', payload = NULL';
      const next = outcome.nextAttemptAt === undefined ? '' : ', next_attempt_at = ?';
      const n = await q.run(
        `UPDATE mail_outbox SET status = ?, last_error = ?, updated_at = ?, claimed_by = NULL, claimed_until = NULL${scrub}${next}
         WHERE id = ? AND claimed_by = ? AND status = 'sending'`,
        [outcome.status, outcome.error === undefined || outcome.error === null ? null : outcome.error.slice(0, ERROR_MAX), t,
          ...(outcome.nextAttemptAt === undefined ? [] : [ms(outcome.nextAttemptAt)]), id, workerId],
      );
      return n > 0;
    },
    async queueStats(now: Date): Promise<{ unfinished: number; due: number }> {
      const t = ms(now);
      const rows = await q.all(
        `SELECT COUNT(*) AS unfinished,
           SUM(CASE WHEN (status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND claimed_until <= ?) THEN 1 ELSE 0 END) AS due
         FROM mail_outbox WHERE status IN ('pending', 'sending')`, [t, t]);
      return { unfinished: Number(rows[0]?.unfinished ?? 0), due: Number(rows[0]?.due ?? 0) };
    },
    async listForAddress(address: string, options: PageOptions = {}): Promise<Page<OutboxMail>> {
      const limit = pageLimit(options.limit);
      const after = afterCursor(options.cursor, 'created_at', 'id', true);
      const rows = await q.all(
        `SELECT * FROM mail_outbox WHERE to_address = ?${after.sql} ORDER BY created_at DESC, id DESC LIMIT ?`,
        [address, ...after.params, limit + 1],
      );
      return toPage(rows.map(rowToMail), limit, (m) => [m.createdAt.getTime(), m.id]);
    },
    async deleteFinishedBefore(before: Date): Promise<number> {
      return q.run("DELETE FROM mail_outbox WHERE status IN ('sent', 'failed') AND updated_at < ?", [ms(before)]);
    },
  };
}

type MailOutcomeInput = Parameters<MailOutboxRepo['complete']>[2];
