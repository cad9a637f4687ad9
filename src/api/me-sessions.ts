import { clearCookie } from '../sessions/cookie.js';
import type { ApiCall, ApiEndpoint, ApiResult } from './context.js';
import { ApiNotFoundError, ApiValidationError } from './errors.js';
import { pageQuery, strictQuery } from './validate.js';
import { sessionView } from './views.js';

/** GET /me/sessions, DELETE /me/sessions/:session, DELETE /me/sessions[?keep_current=true]: "log out everywhere". */
export function meSessionEndpoints(): ApiEndpoint[] {
  return [
    { method: 'GET', pattern: '/me/sessions', auth: 'signed_in', run: listMine },
    { method: 'DELETE', pattern: '/me/sessions/:session', auth: 'signed_in', run: endOne },
    { method: 'DELETE', pattern: '/me/sessions', auth: 'signed_in', run: endAll },
  ];
}

async function listMine(call: ApiCall): Promise<ApiResult> {
  strictQuery(call.query, ['limit', 'cursor']);
  const page = await call.deps.store.sessions.listForUser(call.caller.user.id, pageQuery(call.query));
  const now = Date.now();
  return { status: 200, body: { items: page.items.map((s) => sessionView(s, call.caller.sessionId, now)), next_cursor: page.nextCursor } };
}

/** When the caller ended the session they came with, the answer also clears its cookie. */
function clearIfCurrent(call: ApiCall, ended: boolean): Record<string, string> {
  return ended ? { 'set-cookie': clearCookie(call.deps.cookie.name, call.deps.cookie.options) } : {};
}

/** Ends one of the caller's own sessions; someone else's session id is 404, as if it did not exist. */
async function endOne(call: ApiCall): Promise<ApiResult> {
  strictQuery(call.query, []);
  const id = call.params.session ?? '';
  const session = /^[A-Za-z0-9_-]{1,128}$/.test(id) ? await call.deps.store.sessions.get(id) : null;
  if (!session || session.userId !== call.caller.user.id) throw new ApiNotFoundError('session');
  await call.body([]);
  const revoked = await call.deps.sessions.revoke(session.id);
  if (revoked) call.audit('session.revoked', { target: call.caller.user.id, data: { count: 1, session: session.id.slice(0, 12) } });
  return { status: 204, headers: clearIfCurrent(call, session.id === call.caller.sessionId) };
}

/** Ends all the caller's sessions, or all but the current one with `?keep_current=true`. */
async function endAll(call: ApiCall): Promise<ApiResult> {
  strictQuery(call.query, ['keep_current']);
  const keep = call.query.get('keep_current');
  if (keep !== null && keep !== 'true' && keep !== 'false') throw new ApiValidationError('keep_current', 'expected true or false');
  await call.body([]);
  const except = keep === 'true' ? call.caller.sessionId : undefined;
  // AccountAdmin revokes in the store, evicts the user's cached sessions (keeping the current one when asked) and audits.
  const ended = await call.deps.accounts.endSessions(call.caller.user.id, {
    actor: call.caller.user.id, clientIp: call.ctx.clientIp, userAgent: call.req.headers['user-agent'] ?? null,
    ...(except === undefined ? {} : { exceptSessionId: except }),
  });
  return { status: 200, body: { sessions_ended: ended }, headers: clearIfCurrent(call, except === undefined) };
}
