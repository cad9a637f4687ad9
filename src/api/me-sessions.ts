import { clearCookie } from '../sessions/cookie.js';
import type { z } from 'zod';
import { endpoint, type ApiCall, type ApiEndpoint, type ApiResult } from './context.js';
import { ApiNotFoundError } from './errors.js';
import { EndSessionsQuery, Ended, ID, PageQuery, SessionPage } from './schemas.js';
import { sessionView } from './views.js';

/** GET /me/sessions, DELETE /me/sessions/:session, DELETE /me/sessions[?keep_current=true]: "log out everywhere". */
export function meSessionEndpoints(): ApiEndpoint[] {
  return [
    endpoint({
      method: 'GET', pattern: '/me/sessions', auth: 'signed_in', operationId: 'listMySessions', summary: 'Your sessions, newest first.',
      query: PageQuery, responses: { 200: { description: 'A page', schema: SessionPage } }, run: listMine,
    }),
    endpoint({
      method: 'DELETE', pattern: '/me/sessions/:session', auth: 'signed_in', operationId: 'endMySession', summary: 'End one of your sessions.',
      params: { session: 'Session id.' }, responses: { 204: { description: 'Ended' } }, errors: [404], run: endOne,
    }),
    endpoint({
      method: 'DELETE', pattern: '/me/sessions', auth: 'signed_in', operationId: 'endMySessions',
      summary: 'Log out everywhere (keep_current=true keeps this session).', query: EndSessionsQuery,
      responses: { 200: { description: 'Ended', schema: Ended } }, run: endAll,
    }),
  ];
}

async function listMine(call: ApiCall<z.output<typeof PageQuery>>): Promise<ApiResult> {
  const page = await call.deps.store.sessions.listForUser(call.caller.user.id, call.query);
  const now = Date.now();
  return { status: 200, body: { items: page.items.map((s) => sessionView(s, call.caller.sessionId, now)), next_cursor: page.nextCursor } };
}

/** When the caller ended the session they came with, the answer also clears its cookie. */
function clearIfCurrent(call: ApiCall, ended: boolean): Record<string, string> {
  return ended ? { 'set-cookie': clearCookie(call.deps.cookie.name, call.deps.cookie.options) } : {};
}

/** Ends one of the caller's own sessions; someone else's session id is 404, as if it did not exist. */
async function endOne(call: ApiCall): Promise<ApiResult> {
  const id = call.params.session ?? '';
  const session = ID.test(id) ? await call.deps.store.sessions.get(id) : null;
  if (!session || session.userId !== call.caller.user.id) throw new ApiNotFoundError('session');
  await call.body();
  const revoked = await call.deps.sessions.revoke(session.id);
  if (revoked) call.audit('session.revoked', { target: call.caller.user.id, data: { count: 1, session: session.id.slice(0, 12) } });
  return { status: 204, headers: clearIfCurrent(call, session.id === call.caller.sessionId) };
}

/** Ends all the caller's sessions, or all but the current one with `?keep_current=true`. */
async function endAll(call: ApiCall<z.output<typeof EndSessionsQuery>>): Promise<ApiResult> {
  const keep = call.query.keep_current;
  await call.body();
  const except = keep === 'true' ? call.caller.sessionId : undefined;
  // AccountAdmin revokes in the store, evicts the user's cached sessions (keeping the current one when asked) and audits.
  const ended = await call.deps.accounts.endSessions(call.caller.user.id, {
    actor: call.caller.user.id, clientIp: call.ctx.clientIp, userAgent: call.req.headers['user-agent'] ?? null,
    ...(except === undefined ? {} : { exceptSessionId: except }),
  });
  return { status: 200, body: { sessions_ended: ended }, headers: clearIfCurrent(call, except === undefined) };
}
