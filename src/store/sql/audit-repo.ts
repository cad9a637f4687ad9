import { afterCursor, pageLimit, toPage } from '../cursor.js';
import type { AuditEvent, AuditFilter, AuditRepo, Page } from '../store.js';
import type { Queryable, SqlValue } from './queryable.js';
import type { RepoContext } from './repo-context.js';
import { jsonOrNull, ms, rowToAudit } from './rows.js';

const COLUMNS = ['id', 'at', 'actor', 'org', 'action', 'target', 'client_ip', 'user_agent', 'data'] as const;
/** Rows per multi-row INSERT: 500 x 9 parameters is below every driver's limit and amortises the round trip. */
const CHUNK = 500;

/** The audit trail over any SQL driver. */
export function auditRepo(ctx: RepoContext): AuditRepo {
  const { q, dialect } = ctx;
  const insertChunk = async (tq: Queryable, events: readonly AuditEvent[]): Promise<number> => {
    const params: SqlValue[] = [];
    for (const e of events) {
      params.push(e.id, ms(e.at), e.actor ?? null, e.org ?? null, e.action, e.target ?? null, e.clientIp ?? null,
        e.userAgent ?? null, jsonOrNull(e.data));
    }
    return tq.run(dialect.insertIgnore('audit_events', COLUMNS, events.length), params);
  };
  return {
    async insert(events: readonly AuditEvent[]): Promise<number> {
      if (events.length === 0) return 0;
      if (events.length <= CHUNK) return insertChunk(q, events);
      return ctx.atomic(async (tq) => {
        let inserted = 0;
        for (let i = 0; i < events.length; i += CHUNK) inserted += await insertChunk(tq, events.slice(i, i + CHUNK));
        return inserted;
      });
    },
    async list(filter: AuditFilter = {}): Promise<Page<AuditEvent>> {
      const limit = pageLimit(filter.limit);
      const where: string[] = [];
      const params: SqlValue[] = [];
      if (filter.org !== undefined) { where.push('org = ?'); params.push(filter.org); }
      if (filter.actor !== undefined) { where.push('actor = ?'); params.push(filter.actor); }
      if (filter.action !== undefined) { where.push('action = ?'); params.push(filter.action); }
      if (filter.since !== undefined) { where.push('at >= ?'); params.push(ms(filter.since)); }
      if (filter.until !== undefined) { where.push('at < ?'); params.push(ms(filter.until)); }
      const after = afterCursor(filter.cursor, 'at', 'id', true);
      const sql = `SELECT * FROM audit_events WHERE 1 = 1${where.map((w) => ` AND ${w}`).join('')}${after.sql}
        ORDER BY at DESC, id DESC LIMIT ?`;
      const rows = await q.all(sql, [...params, ...after.params, limit + 1]);
      return toPage(rows.map(rowToAudit), limit, (e) => [e.at.getTime(), e.id]);
    },
    async deleteBefore(before: Date): Promise<number> {
      return q.run('DELETE FROM audit_events WHERE at < ?', [ms(before)]);
    },
  };
}
