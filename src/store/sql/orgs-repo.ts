import { ConflictError, NotFoundError } from '../../errors/index.js';
import { afterCursor, pageLimit, toPage } from '../cursor.js';
import type {
  MemberRole, Membership, MembershipsRepo, NewOrganization, Organization, OrgsRepo, OrgStatus, Page, PageOptions,
} from '../store.js';
import type { SqlValue } from './queryable.js';
import type { RepoContext } from './repo-context.js';
import { ms, rowToMembership, rowToOrg } from './rows.js';
import { recordChange } from './changes-repo.js';

/** Organizations over any SQL driver. */
export function orgsRepo(ctx: RepoContext): OrgsRepo {
  const { q } = ctx;
  const get = async (id: string): Promise<Organization | null> => {
    const rows = await q.all('SELECT * FROM organizations WHERE id = ?', [id]);
    return rows[0] ? rowToOrg(rows[0]) : null;
  };
  const mustGet = async (id: string): Promise<Organization> => {
    const org = await get(id);
    if (!org) throw new NotFoundError('organization');
    return org;
  };
  return {
    async create(o: NewOrganization): Promise<Organization> {
      const org: Organization = {
        id: o.id ?? ctx.newId(), slug: o.slug, name: o.name, status: o.status ?? 'pending', createdBy: o.createdBy ?? null,
        decidedBy: null, decidedAt: null, createdAt: o.createdAt ?? new Date(ctx.now()),
      };
      await q.run(
        `INSERT INTO organizations (id, slug, name, status, created_by, decided_by, decided_at, created_at)
         VALUES (?, ?, ?, ?, ?, NULL, NULL, ?)`,
        [org.id, org.slug, org.name, org.status, org.createdBy, ms(org.createdAt)],
      );
      return org;
    },
    get,
    async getBySlug(slug: string): Promise<Organization | null> {
      const rows = await q.all('SELECT * FROM organizations WHERE slug = ?', [slug]);
      return rows[0] ? rowToOrg(rows[0]) : null;
    },
    async update(id, patch): Promise<Organization> {
      const sets: string[] = [];
      const params: SqlValue[] = [];
      if (patch.slug !== undefined) { sets.push('slug = ?'); params.push(patch.slug); }
      if (patch.name !== undefined) { sets.push('name = ?'); params.push(patch.name); }
      if (sets.length > 0) await q.run(`UPDATE organizations SET ${sets.join(', ')} WHERE id = ?`, [...params, id]);
      return mustGet(id);
    },
    async setStatus(id: string, status: OrgStatus, decidedBy: string | null, at?: Date): Promise<Organization> {
      // Every member's cached sessions carry this organization's standing: announce it.
      await ctx.atomic(async (tq) => {
        await tq.run('UPDATE organizations SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?',
          [status, decidedBy, at ? ms(at) : ctx.now(), id]);
        await recordChange(ctx, tq, 'org', id);
      });
      return mustGet(id);
    },
    async delete(id: string): Promise<void> {
      await ctx.atomic(async (tq) => {
        if (await tq.run('DELETE FROM organizations WHERE id = ?', [id]) === 0) throw new NotFoundError('organization');
        await recordChange(ctx, tq, 'org', id);
      });
    },
    async list(options: PageOptions & { status?: OrgStatus } = {}): Promise<Page<Organization>> {
      const limit = pageLimit(options.limit);
      const after = afterCursor(options.cursor, 'created_at', 'id', false);
      const status = options.status === undefined ? '' : ' AND status = ?';
      const rows = await q.all(
        `SELECT * FROM organizations WHERE 1 = 1${status}${after.sql} ORDER BY created_at, id LIMIT ?`,
        [...(options.status === undefined ? [] : [options.status]), ...after.params, limit + 1],
      );
      return toPage(rows.map(rowToOrg), limit, (o) => [o.createdAt.getTime(), o.id]);
    },
  };
}

/** Memberships over any SQL driver. */
export function membershipsRepo(ctx: RepoContext): MembershipsRepo {
  const { q } = ctx;
  const get = async (orgId: string, userId: string): Promise<Membership | null> => {
    const rows = await q.all('SELECT * FROM memberships WHERE org_id = ? AND user_id = ?', [orgId, userId]);
    return rows[0] ? rowToMembership(rows[0]) : null;
  };
  return {
    async add(m): Promise<Membership> {
      const membership: Membership = { orgId: m.orgId, userId: m.userId, role: m.role, createdAt: m.createdAt ?? new Date(ctx.now()) };
      try {
        await ctx.atomic(async (tq) => {
          await tq.run('INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)',
            [membership.orgId, membership.userId, membership.role, ms(membership.createdAt)]);
          // A cached session carries approved memberships only (X-Auth-Orgs), so one in an organization not (yet)
          // approved changes nothing any replica caches; the approval announces the organization itself. Announcing
          // every request for an organization evicted its author's cached sessions for nothing: in story-mix (5% of
          // requests create one) that was 1,500-2,000 session re-reads from the store per 10 s phase; now none.
          const org = await tq.all('SELECT status FROM organizations WHERE id = ?', [membership.orgId]);
          if (org[0]?.status === 'approved') await recordChange(ctx, tq, 'user', membership.userId);
        });
      } catch (err) {
        // The key is the composite primary key, which MySQL reports only as 'PRIMARY'.
        if (err instanceof ConflictError) throw new ConflictError('membership', 'already a member', err);
        if (err instanceof NotFoundError) throw new NotFoundError('organization or user', err);
        throw err;
      }
      return membership;
    },
    get,
    async setRole(orgId: string, userId: string, role: MemberRole): Promise<Membership> {
      return ctx.atomic(async (tq) => {
        await tq.run('UPDATE memberships SET role = ? WHERE org_id = ? AND user_id = ?', [role, orgId, userId]);
        const rows = await tq.all('SELECT * FROM memberships WHERE org_id = ? AND user_id = ?', [orgId, userId]);
        if (!rows[0]) throw new NotFoundError('membership');
        await recordChange(ctx, tq, 'user', userId);
        return rowToMembership(rows[0]);
      });
    },
    async remove(orgId: string, userId: string): Promise<void> {
      await ctx.atomic(async (tq) => {
        if (await tq.run('DELETE FROM memberships WHERE org_id = ? AND user_id = ?', [orgId, userId]) === 0) {
          throw new NotFoundError('membership');
        }
        await recordChange(ctx, tq, 'user', userId);
      });
    },
    async listForOrg(orgId: string, options: PageOptions = {}): Promise<Page<Membership>> {
      const limit = pageLimit(options.limit);
      const after = afterCursor(options.cursor, 'created_at', 'user_id', false);
      const rows = await q.all(
        `SELECT * FROM memberships WHERE org_id = ?${after.sql} ORDER BY created_at, user_id LIMIT ?`,
        [orgId, ...after.params, limit + 1],
      );
      return toPage(rows.map(rowToMembership), limit, (m) => [m.createdAt.getTime(), m.userId]);
    },
    async listForUser(userId: string, options: PageOptions = {}): Promise<Page<Membership>> {
      const limit = pageLimit(options.limit);
      const after = afterCursor(options.cursor, 'created_at', 'org_id', false);
      const rows = await q.all(
        `SELECT * FROM memberships WHERE user_id = ?${after.sql} ORDER BY created_at, org_id LIMIT ?`,
        [userId, ...after.params, limit + 1],
      );
      return toPage(rows.map(rowToMembership), limit, (m) => [m.createdAt.getTime(), m.orgId]);
    },
    async listApprovedForUser(userId: string, limit: number): Promise<{ slug: string; role: MemberRole }[]> {
      const rows = await q.all(
        `SELECT o.slug AS slug, m.role AS role FROM memberships m JOIN organizations o ON o.id = m.org_id
          WHERE m.user_id = ? AND o.status = ? ORDER BY o.slug LIMIT ?`,
        [userId, 'approved', limit],
      );
      return rows.map((r) => ({ slug: String(r.slug), role: String(r.role) as MemberRole }));
    },
    async lockOwners(orgId: string): Promise<string[]> {
      const rows = await q.all(`SELECT user_id FROM memberships WHERE org_id = ? AND role = ? ${ctx.dialect.forUpdate}`, [orgId, 'owner']);
      return rows.map((r) => String(r.user_id));
    },
    async countByRole(orgId: string, role: MemberRole): Promise<number> {
      const rows = await q.all('SELECT COUNT(*) AS n FROM memberships WHERE org_id = ? AND role = ?', [orgId, role]);
      return Number(rows[0]?.n ?? 0);
    },
  };
}
