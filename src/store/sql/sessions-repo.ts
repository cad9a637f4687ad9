import { ConflictError, NotFoundError } from '../../errors/index.js';
import { afterCursor, pageLimit, toPage } from '../cursor.js';
import type { LastSeenUpdate, NewSession, Page, PageOptions, Session, SessionsRepo } from '../store.js';
import type { SqlValue } from './queryable.js';
import type { RepoContext } from './repo-context.js';
import { ms, rowToSession } from './rows.js';
import { recordChange } from './changes-repo.js';

// Each statement moves a time forward only, so a late, out-of-order batch from the debouncer cannot undo a newer one.
const TOUCH_USER = 'UPDATE users SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)';
const TOUCH_SESSION = 'UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?';
const TOUCH_SESSION_IDLE = `UPDATE sessions SET
  last_seen_at = CASE WHEN last_seen_at < ? THEN ? ELSE last_seen_at END,
  idle_expires_at = CASE WHEN idle_expires_at < ? THEN ? ELSE idle_expires_at END
  WHERE id = ?`;

/** Sessions over any SQL driver. */
export function sessionsRepo(ctx: RepoContext): SessionsRepo {
  const { q } = ctx;
  return {
    async create(s: NewSession): Promise<Session> {
      const createdAt = s.createdAt ?? new Date(ctx.now());
      const session: Session = {
        id: s.id, userId: s.userId, createdAt, expiresAt: s.expiresAt, idleExpiresAt: s.idleExpiresAt,
        lastSeenAt: createdAt, revokedAt: null, userAgent: s.userAgent ?? null, clientIp: s.clientIp ?? null, amr: [...(s.amr ?? [])],
      };
      try {
        await q.run(
          `INSERT INTO sessions (id, user_id, created_at, expires_at, idle_expires_at, last_seen_at, revoked_at, user_agent, client_ip, amr)
           VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
          [session.id, session.userId, ms(createdAt), ms(session.expiresAt), ms(session.idleExpiresAt), ms(createdAt),
            session.userAgent, session.clientIp, JSON.stringify(session.amr)],
        );
      } catch (err) {
        if (err instanceof NotFoundError) throw new NotFoundError('user', err);
        if (err instanceof ConflictError) throw new ConflictError('id', 'session id already exists', err);
        throw err;
      }
      return session;
    },
    async get(id: string): Promise<Session | null> {
      const rows = await q.all('SELECT * FROM sessions WHERE id = ?', [id]);
      return rows[0] ? rowToSession(rows[0]) : null;
    },
    async revoke(id: string, at?: Date): Promise<boolean> {
      const when = at ? ms(at) : ctx.now();
      return ctx.atomic(async (tq) => {
        const changed = await tq.run('UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [when, id]) > 0;
        if (changed) await recordChange(ctx, tq, 'session', id);
        return changed;
      });
    },
    async revokeForUser(userId: string, options: { exceptId?: string; at?: Date } = {}): Promise<number> {
      const when = options.at ? ms(options.at) : ctx.now();
      const except = options.exceptId === undefined ? '' : ' AND id <> ?';
      const params: SqlValue[] = [when, userId, ...(options.exceptId === undefined ? [] : [options.exceptId])];
      return ctx.atomic(async (tq) => {
        const count = await tq.run(`UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL${except}`, params);
        if (count > 0) await recordChange(ctx, tq, 'user', userId);
        return count;
      });
    },
    async listForUser(userId: string, options: PageOptions = {}): Promise<Page<Session>> {
      const limit = pageLimit(options.limit);
      const after = afterCursor(options.cursor, 'created_at', 'id', true);
      const rows = await q.all(
        `SELECT * FROM sessions WHERE user_id = ?${after.sql} ORDER BY created_at DESC, id DESC LIMIT ?`,
        [userId, ...after.params, limit + 1],
      );
      return toPage(rows.map(rowToSession), limit, (s) => [s.createdAt.getTime(), s.id]);
    },
    async deleteExpired(now: Date): Promise<number> {
      const t = ms(now);
      return q.run('DELETE FROM sessions WHERE expires_at <= ? OR idle_expires_at <= ?', [t, t]);
    },
    async touchLastSeen(updates: readonly LastSeenUpdate[]): Promise<void> {
      const users: SqlValue[][] = [];
      const sessions: SqlValue[][] = [];
      const sessionsIdle: SqlValue[][] = [];
      for (const u of updates) {
        const at = ms(u.at);
        if (u.userId !== undefined) users.push([at, u.userId, at]);
        if (u.sessionId !== undefined) {
          if (u.idleExpiresAt === undefined) sessions.push([at, u.sessionId, at]);
          else {
            const idle = ms(u.idleExpiresAt);
            sessionsIdle.push([at, at, idle, idle, u.sessionId]);
          }
        }
      }
      const batches = ([[TOUCH_USER, users], [TOUCH_SESSION, sessions], [TOUCH_SESSION_IDLE, sessionsIdle]] as const)
        .filter(([, sets]) => sets.length > 0);
      if (batches.length === 0) return;
      if (batches.length === 1) {
        await q.runMany(batches[0]![0], batches[0]![1]);
        return;
      }
      await ctx.atomic(async (tq) => {
        for (const [sql, sets] of batches) await tq.runMany(sql, sets);
      });
    },
  };
}
