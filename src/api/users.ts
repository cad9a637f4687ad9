import type { User } from '../store/store.js';
import { PLATFORM_OWNER, type ApiCall, type ApiEndpoint, type ApiResult } from './context.js';
import { ApiNotFoundError, StateConflictError, forbidden } from './errors.js';
import { ID, ROLE_NAME, pageQuery, strictQuery, stringArrayField, stringQuery } from './validate.js';
import { pageView, userAdminView } from './views.js';

/** GET /users, PATCH /users/:user (roles), POST /users/:user/disable, DELETE /users/:user/sessions: platform owners only. */
export function userEndpoints(): ApiEndpoint[] {
  return [
    { method: 'GET', pattern: '/users', auth: 'signed_in', run: listUsers },
    { method: 'PATCH', pattern: '/users/:user', auth: 'signed_in', run: setRoles },
    { method: 'POST', pattern: '/users/:user/disable', auth: 'signed_in', run: disableUser },
    { method: 'DELETE', pattern: '/users/:user/sessions', auth: 'signed_in', run: endSessions },
  ];
}

function requirePlatformOwner(call: ApiCall): void {
  if (!call.caller.platformOwner) throw forbidden('only a platform owner may administer users');
}

async function userInPath(call: ApiCall): Promise<User> {
  const id = call.params.user ?? '';
  const user = ID.test(id) ? await call.deps.store.users.get(id) : null;
  if (!user) throw new ApiNotFoundError('user');
  return user;
}

function change(call: ApiCall) {
  return { actor: call.caller.user.id, clientIp: call.ctx.clientIp, userAgent: call.req.headers['user-agent'] ?? null };
}

async function listUsers(call: ApiCall): Promise<ApiResult> {
  requirePlatformOwner(call);
  strictQuery(call.query, ['role', 'limit', 'cursor']);
  const role = stringQuery(call.query, 'role', { max: 64, pattern: ROLE_NAME, patternHint: 'expected a role name' });
  const page = await call.deps.store.users.list({ ...pageQuery(call.query), ...(role === undefined ? {} : { role }) });
  return { status: 200, body: pageView(page, userAdminView) };
}

/**
 * Replaces a user's platform roles (the only field: no mass assignment of email, password or disabled). A platform
 * owner cannot take platform_owner from themselves, so there is always one left.
 */
async function setRoles(call: ApiCall): Promise<ApiResult> {
  requirePlatformOwner(call);
  strictQuery(call.query, []);
  const user = await userInPath(call);
  const body = await call.body(['roles']);
  const roles = stringArrayField(body, 'roles', { required: true, maxItems: 32, max: 64, pattern: ROLE_NAME, patternHint: 'expected a role name of letters, digits, "_", ".", ":" or "-"' })!;
  if (user.id === call.caller.user.id && !roles.includes(PLATFORM_OWNER)) {
    throw new StateConflictError('you cannot remove your own platform_owner role; ask another platform owner', 'roles');
  }
  // AccountAdmin evicts the user's cached sessions and records user.roles_changed.
  const updated = await call.deps.accounts.setRoles(user.id, roles, change(call));
  return { status: 200, body: userAdminView(updated) };
}

async function disableUser(call: ApiCall): Promise<ApiResult> {
  requirePlatformOwner(call);
  strictQuery(call.query, []);
  const user = await userInPath(call);
  await call.body([]);
  if (user.id === call.caller.user.id) throw new StateConflictError('you cannot disable yourself');
  const { user: disabled, sessionsEnded } = await call.deps.accounts.disable(user.id, change(call));
  return { status: 200, body: { ...userAdminView(disabled), sessions_ended: sessionsEnded } };
}

async function endSessions(call: ApiCall): Promise<ApiResult> {
  requirePlatformOwner(call);
  strictQuery(call.query, []);
  const user = await userInPath(call);
  await call.body([]);
  const ended = await call.deps.accounts.endSessions(user.id, change(call));
  return { status: 200, body: { sessions_ended: ended } };
}
