import type { User } from '../../store/store.js';

/** The public view of a user in API answers: never the password hash. */
export function userView(user: Pick<User, 'id' | 'email' | 'name' | 'roles'>, orgs: readonly { slug: string; role: string }[] = []) {
  return { id: user.id, email: user.email, name: user.name ?? '', roles: [...user.roles], orgs: orgs.map((o) => ({ slug: o.slug, role: o.role })) };
}
