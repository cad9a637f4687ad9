import type { IncomingMessage } from 'node:http';
import { presentedToken } from '../sessions/presented-token.js';
import type { CachedSession } from '../sessions/session-cache.js';
import { readParsedBody, type ParsedBody } from '../http/request-body.js';
import type { AuthDeps } from '../auth/auth-deps.js';

/** Bodies of account forms are small: a few fields and a CSRF token (a WebAuthn response is the largest). */
const FORM_LIMIT = 64 * 1024;

/** Reads a form or JSON body and checks CSRF (token for forms, same-site Origin for both). */
export async function readCheckedBody(deps: Pick<AuthDeps, 'csrf'>, req: IncomingMessage): Promise<ParsedBody> {
  const body = await readParsedBody(req, FORM_LIMIT);
  deps.csrf.check(req, body);
  return body;
}

/** A field as text ('' when absent or not a string), cut to `max` characters: for forms that answer field by field. */
export function textField(body: ParsedBody, name: string, max = 4096): string {
  const value = body.kind === 'form' ? body.fields.get(name) : body.value[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
}

/** The live session a request presents (cookie or bearer), or undefined. */
export async function currentSession(deps: Pick<AuthDeps, 'sessions' | 'cookieName'>, req: IncomingMessage): Promise<CachedSession | undefined> {
  const token = presentedToken(req, deps.cookieName);
  if (token === undefined || token === '') return undefined;
  return deps.sessions.validate(token);
}
