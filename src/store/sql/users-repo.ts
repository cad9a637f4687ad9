import { ConflictError, NotFoundError } from '../../errors/index.js';
import { afterCursor, pageLimit, toPage } from '../cursor.js';
import type { ExternalIdentity, IdentitiesRepo, NewUser, Page, PageOptions, User, UserPatch, UsersRepo } from '../store.js';
import type { RepoContext } from './repo-context.js';
import { ms, msOrNull, rowToIdentity, rowToUser } from './rows.js';
import { recordChange } from './changes-repo.js';
import type { SqlValue } from './queryable.js';
import { canonicalEmail, legacyEmailKey } from '../canonical-email.js';


/** Users over any SQL driver. */
export function usersRepo(ctx: RepoContext): UsersRepo {
  const { q } = ctx;
  const get = async (id: string): Promise<User | null> => {
    const rows = await q.all('SELECT * FROM users WHERE id = ?', [id]);
    return rows[0] ? rowToUser(rows[0]) : null;
  };
  return {
    async create(u: NewUser): Promise<User> {
      const user: User = {
        id: u.id ?? ctx.newId(), email: u.email.trim(), name: u.name ?? null, passwordHash: u.passwordHash ?? null,
        roles: u.roles ?? [], disabled: u.disabled ?? false, createdAt: u.createdAt ?? new Date(ctx.now()), lastSeenAt: null,
        emailVerifiedAt: u.emailVerifiedAt ?? null,
      };
      await q.run(
        `INSERT INTO users (id, email, email_lower, name, password_hash, roles, disabled, created_at, last_seen_at, email_verified_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
        [user.id, user.email, canonicalEmail(user.email), user.name, user.passwordHash, JSON.stringify(user.roles),
          user.disabled ? 1 : 0, ms(user.createdAt), msOrNull(user.emailVerifiedAt)],
      );
      return user;
    },
    get,
    async getByEmail(email: string): Promise<User | null> {
      const key = canonicalEmail(email);
      const rows = await q.all('SELECT * FROM users WHERE email_lower = ?', [key]);
      if (rows[0]) return rowToUser(rows[0]);
      // A row written before the unique column was NFKC-normalised holds the address as typed, lower-cased.
      const legacy = legacyEmailKey(email);
      if (legacy === key) return null;
      const old = await q.all('SELECT * FROM users WHERE email_lower = ?', [legacy]);
      return old[0] ? rowToUser(old[0]) : null;
    },
    async update(id: string, patch: UserPatch): Promise<User> {
      const sets: string[] = [];
      const params: SqlValue[] = [];
      // A proof of the old address says nothing about a new one (unless the same patch brings its own proof). This
      // assignment comes before email_lower's: MySQL evaluates SET left to right with the values already assigned.
      if (patch.emailVerifiedAt !== undefined) {
        sets.push('email_verified_at = ?');
        params.push(msOrNull(patch.emailVerifiedAt));
      } else if (patch.email !== undefined) {
        sets.push('email_verified_at = CASE WHEN email_lower = ? THEN email_verified_at ELSE NULL END');
        params.push(canonicalEmail(patch.email));
      }
      if (patch.email !== undefined) {
        sets.push('email = ?', 'email_lower = ?');
        params.push(patch.email.trim(), canonicalEmail(patch.email));
      }
      if (patch.name !== undefined) { sets.push('name = ?'); params.push(patch.name); }
      if (patch.passwordHash !== undefined) { sets.push('password_hash = ?'); params.push(patch.passwordHash); }
      if (patch.roles !== undefined) { sets.push('roles = ?'); params.push(JSON.stringify(patch.roles)); }
      if (patch.disabled !== undefined) { sets.push('disabled = ?'); params.push(patch.disabled ? 1 : 0); }
      // Anything a cached session carries (email, name, roles, disabled) is announced on the change feed, in the
      // same transaction, so every replica drops its cached copy.
      const announce = patch.email !== undefined || patch.name !== undefined || patch.roles !== undefined || patch.disabled !== undefined ||
        patch.emailVerifiedAt !== undefined;
      return ctx.atomic(async (tq) => {
        if (sets.length > 0) {
          // MySQL reports 0 changed rows when the values are equal, so existence is checked by reading back.
          await tq.run(`UPDATE users SET ${sets.join(', ')} WHERE id = ?`, [...params, id]);
        }
        const rows = await tq.all('SELECT * FROM users WHERE id = ?', [id]);
        if (!rows[0]) throw new NotFoundError('user');
        if (announce) await recordChange(ctx, tq, 'user', id);
        return rowToUser(rows[0]);
      });
    },
    async delete(id: string): Promise<void> {
      await ctx.atomic(async (tq) => {
        if (await tq.run('DELETE FROM users WHERE id = ?', [id]) === 0) throw new NotFoundError('user');
        await recordChange(ctx, tq, 'user', id);
      });
    },
    async list(options: PageOptions & { role?: string } = {}): Promise<Page<User>> {
      const limit = pageLimit(options.limit);
      const after = afterCursor(options.cursor, 'created_at', 'id', false);
      // Roles are a small JSON array; filtering in SQL by substring keeps the query portable, then exact in JS.
      const roleSql = options.role === undefined ? '' : ' AND roles LIKE ?';
      // A backslash would be an escape in MySQL's LIKE; '_' matches any character, so the filter stays a superset.
      const roleParams = options.role === undefined ? [] : [`%${JSON.stringify(options.role).replace(/\\/g, '_')}%`];
      const rows = await q.all(
        `SELECT * FROM users WHERE 1 = 1${after.sql}${roleSql} ORDER BY created_at, id LIMIT ?`,
        [...after.params, ...roleParams, limit + 1],
      );
      const page = toPage(rows.map(rowToUser), limit, (u) => [u.createdAt.getTime(), u.id]);
      if (options.role !== undefined) page.items = page.items.filter((u) => u.roles.includes(options.role!));
      return page;
    },
    async count(): Promise<number> {
      const rows = await q.all('SELECT COUNT(*) AS n FROM users');
      return Number(rows[0]?.n ?? 0);
    },
  };
}

/** External identities over any SQL driver. */
export function identitiesRepo(ctx: RepoContext): IdentitiesRepo {
  const { q } = ctx;
  return {
    async link(i): Promise<ExternalIdentity> {
      const identity: ExternalIdentity = {
        provider: i.provider, subject: i.subject, userId: i.userId, email: i.email ?? null,
        createdAt: i.createdAt ?? new Date(ctx.now()),
      };
      try {
        await q.run(
          'INSERT INTO external_identities (provider, subject, user_id, email, created_at) VALUES (?, ?, ?, ?, ?)',
          [identity.provider, identity.subject, identity.userId, identity.email, ms(identity.createdAt)],
        );
      } catch (err) {
        // The key is the composite primary key, which MySQL reports only as 'PRIMARY'.
        if (err instanceof ConflictError) throw new ConflictError('identity', 'identity already linked', err);
        if (err instanceof NotFoundError) throw new NotFoundError('user', err);
        throw err;
      }
      return identity;
    },
    async find(provider: string, subject: string): Promise<ExternalIdentity | null> {
      const rows = await q.all('SELECT * FROM external_identities WHERE provider = ? AND subject = ?', [provider, subject]);
      return rows[0] ? rowToIdentity(rows[0]) : null;
    },
    async listForUser(userId: string): Promise<ExternalIdentity[]> {
      const rows = await q.all('SELECT * FROM external_identities WHERE user_id = ? ORDER BY created_at, provider, subject', [userId]);
      return rows.map(rowToIdentity);
    },
    async unlink(provider: string, subject: string): Promise<void> {
      const n = await q.run('DELETE FROM external_identities WHERE provider = ? AND subject = ?', [provider, subject]);
      if (n === 0) throw new NotFoundError('identity');
    },
  };
}
