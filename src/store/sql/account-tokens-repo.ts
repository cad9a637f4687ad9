import type { AccountToken, AccountTokenPurpose, AccountTokensRepo, NewAccountToken } from '../accounts-store.js';
import { NotFoundError } from '../../errors/index.js';
import type { SqlRow } from './queryable.js';
import type { RepoContext } from './repo-context.js';
import { jsonOrNull, ms, parseJson, strOrNull, toDate, toDateOrNull } from './rows.js';

function rowToToken(r: SqlRow): AccountToken {
  return {
    id: String(r.id), purpose: String(r.purpose) as AccountTokenPurpose, userId: strOrNull(r.user_id), email: strOrNull(r.email),
    data: parseJson(r.data), createdAt: toDate(r.created_at), expiresAt: toDate(r.expires_at), usedAt: toDateOrNull(r.used_at),
  };
}

/** Single-use account tokens over any SQL driver. */
export function accountTokensRepo(ctx: RepoContext): AccountTokensRepo {
  const { q } = ctx;
  const get = async (tq: typeof q, id: string): Promise<AccountToken | null> => {
    const rows = await tq.all('SELECT * FROM account_tokens WHERE id = ?', [id]);
    return rows[0] ? rowToToken(rows[0]) : null;
  };
  return {
    async create(t: NewAccountToken): Promise<AccountToken> {
      const token: AccountToken = {
        id: t.id, purpose: t.purpose, userId: t.userId, email: t.email ?? null, data: t.data ?? null,
        createdAt: t.createdAt ?? new Date(ctx.now()), expiresAt: t.expiresAt, usedAt: null,
      };
      try {
        await q.run('INSERT INTO account_tokens (id, purpose, user_id, email, data, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)',
          [token.id, token.purpose, token.userId, token.email, jsonOrNull(t.data ?? null), ms(token.createdAt), ms(token.expiresAt)]);
      } catch (err) {
        if (err instanceof NotFoundError) throw new NotFoundError('user', err);
        throw err;
      }
      return token;
    },
    get: (id) => get(q, id),
    async consume(id: string, purpose: AccountTokenPurpose, now?: Date): Promise<AccountToken | null> {
      const t = now ? ms(now) : ctx.now();
      return ctx.atomic(async (tq) => {
        // The conditional update is the single point of truth: whoever changes the row owns the token.
        const n = await tq.run('UPDATE account_tokens SET used_at = ? WHERE id = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?',
          [t, id, purpose, t]);
        return n > 0 ? get(tq, id) : null;
      });
    },
    async updateData(id: string, data: unknown): Promise<boolean> {
      return await q.run('UPDATE account_tokens SET data = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?',
        [jsonOrNull(data), id, ctx.now()]) > 0;
    },
    async revokeForUser(userId: string, purpose: AccountTokenPurpose, now?: Date): Promise<number> {
      const t = now ? ms(now) : ctx.now();
      return q.run('UPDATE account_tokens SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL', [t, userId, purpose]);
    },
    async deleteExpired(before: Date): Promise<number> {
      const t = ms(before);
      return q.run('DELETE FROM account_tokens WHERE expires_at <= ? OR used_at <= ?', [t, t]);
    },
  };
}
