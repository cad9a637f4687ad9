import type { User } from '../store/store.js';
import type { z } from 'zod';
import { PLATFORM_OWNER, endpoint, type ApiCall, type ApiEndpoint, type ApiResult } from './context.js';
import { ApiNotFoundError, StateConflictError, forbidden } from './errors.js';
import { DisabledUser, Ended, ID, SetRolesBody, User as UserAnswer, UserListQuery, UserPage } from './schemas.js';
import { pageView, userAdminView } from './views.js';

/** GET /users, PATCH /users/:user (roles), POST /users/:user/disable, DELETE /users/:user/sessions: platform owners only. */
export function userEndpoints(): ApiEndpoint[] {
  const USER = { user: 'User id.' };
  return [
    endpoint({
      method: 'GET', pattern: '/users', auth: 'signed_in', operationId: 'listUsers', summary: 'Users (platform owner).',
      query: UserListQuery, responses: { 200: { description: 'A page', schema: UserPage } }, errors: [403], run: listUsers,
    }),
    endpoint({
      method: 'PATCH', pattern: '/users/:user', auth: 'signed_in', operationId: 'setUserRoles', params: USER,
      summary: "Replace a user's platform roles (platform owner).", body: SetRolesBody,
      responses: { 200: { description: 'Changed', schema: UserAnswer } }, errors: [403, 404, 409], run: setRoles,
    }),
    endpoint({
      method: 'POST', pattern: '/users/:user/disable', auth: 'signed_in', operationId: 'disableUser', params: USER,
      summary: 'Disable a user and end their sessions (platform owner).',
      responses: { 200: { description: 'Disabled', schema: DisabledUser } }, errors: [403, 404, 409], run: disableUser,
    }),
    endpoint({
      method: 'DELETE', pattern: '/users/:user/sessions', auth: 'signed_in', operationId: 'endUserSessions', params: USER,
      summary: "End all of a user's sessions (platform owner).",
      responses: { 200: { description: 'Ended', schema: Ended } }, errors: [403, 404], run: endSessions,
    }),
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

async function listUsers(call: ApiCall<z.output<typeof UserListQuery>>): Promise<ApiResult> {
  requirePlatformOwner(call);
  const { role, ...paging } = call.query;
  const page = await call.deps.store.users.list({ ...paging, ...(role === undefined ? {} : { role }) });
  return { status: 200, body: pageView(page, userAdminView) };
}

/**
 * Replaces a user's platform roles (the only field: no mass assignment of email, password or disabled). A platform
 * owner cannot take platform_owner from themselves, so there is always one left.
 */
async function setRoles(call: ApiCall<unknown, z.output<typeof SetRolesBody>>): Promise<ApiResult> {
  requirePlatformOwner(call);
  const user = await userInPath(call);
  const { roles } = await call.body();
  if (user.id === call.caller.user.id && !roles.includes(PLATFORM_OWNER)) {
    throw new StateConflictError('you cannot remove your own platform_owner role; ask another platform owner', 'roles');
  }
  // AccountAdmin evicts the user's cached sessions and records user.roles_changed.
  const updated = await call.deps.accounts.setRoles(user.id, roles, change(call));
  return { status: 200, body: userAdminView(updated) };
}

async function disableUser(call: ApiCall): Promise<ApiResult> {
  requirePlatformOwner(call);
  const user = await userInPath(call);
  await call.body();
  if (user.id === call.caller.user.id) throw new StateConflictError('you cannot disable yourself');
  const { user: disabled, sessionsEnded } = await call.deps.accounts.disable(user.id, change(call));
  return { status: 200, body: { ...userAdminView(disabled), sessions_ended: sessionsEnded } };
}

async function endSessions(call: ApiCall): Promise<ApiResult> {
  requirePlatformOwner(call);
  const user = await userInPath(call);
  await call.body();
  const ended = await call.deps.accounts.endSessions(user.id, change(call));
  return { status: 200, body: { sessions_ended: ended } };
}
