import type { ChangeEntry, ChangeKind, ChangesRepo } from '../store.js';
import type { Queryable } from './queryable.js';
import type { RepoContext } from './repo-context.js';

/** The channel PostgreSQL replicas LISTEN on; a NOTIFY carries no payload, it only says "read the feed now". */
export const CHANGE_CHANNEL = 'gatehouse_changes';

/**
 * Appends one change to the feed on `q`, which must be the connection (and transaction) of the change itself, so
 * the feed can never announce a change that rolled back nor miss one that committed. On PostgreSQL the NOTIFY is
 * queued in the same transaction and delivered at commit.
 */
export async function recordChange(ctx: RepoContext, q: Queryable, kind: ChangeKind, subject: string): Promise<void> {
  const { sql, returnsRows } = ctx.dialect.recordChange;
  const params = [kind, subject, ctx.now()];
  if (returnsRows) await q.all(sql, params);
  else await q.run(sql, params);
}

/** Reading and pruning the change feed over any SQL driver. */
export function changesRepo(ctx: RepoContext): ChangesRepo {
  const { q } = ctx;
  return {
    async since(afterSeq: number, limit = 1000): Promise<ChangeEntry[]> {
      const rows = await q.all('SELECT seq, kind, subject, at FROM change_feed WHERE seq > ? ORDER BY seq LIMIT ?', [afterSeq, limit]);
      return rows.map((r) => ({ seq: Number(r.seq), kind: String(r.kind) as ChangeKind, subject: String(r.subject), at: new Date(Number(r.at)) }));
    },
    async latest(): Promise<number> {
      const rows = await q.all('SELECT MAX(seq) AS seq FROM change_feed');
      return rows[0]?.seq === null || rows[0]?.seq === undefined ? 0 : Number(rows[0].seq);
    },
    async oldest(): Promise<number> {
      const rows = await q.all('SELECT MIN(seq) AS seq FROM change_feed');
      return rows[0]?.seq === null || rows[0]?.seq === undefined ? 0 : Number(rows[0].seq);
    },
    async prune(before: Date): Promise<number> {
      return q.run('DELETE FROM change_feed WHERE at < ?', [before.getTime()]);
    },
  };
}
