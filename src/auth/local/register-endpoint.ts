import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConflictError, GatehouseError } from '../../errors/index.js';
import type { EndpointContext } from '../../http/endpoint-router.js';
import type { AuthDeps } from '../auth-deps.js';
import { readParsedBody, stringField } from '../../http/request-body.js';
import { checkNewPassword } from '../passwords/password-policy.js';
import { checkEmail, checkDisplayName } from './account-fields.js';
import { startSession } from './login-endpoint.js';

/** POST /.gatehouse/register (only when auth.local.registration is open): JSON {email, password, name} -> 201. */
export function registerEndpoint(deps: AuthDeps) {
  return async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext): Promise<void> => {
    if (deps.config.auth.local.registration !== 'open' || !deps.config.auth.local.enabled) throw new GatehouseError('GATE_ERR_REGISTRATION_CLOSED');
    const body = await readParsedBody(req, 16 * 1024);
    if (body.kind !== 'json') throw new GatehouseError('GATE_ERR_UNSUPPORTED_MEDIA_TYPE', 'expected application/json');
    deps.csrf.check(req, body);
    const email = checkEmail(stringField(body, 'email', { max: 320 })!);
    const password = stringField(body, 'password', { max: 4096 })!;
    const name = checkDisplayName(stringField(body, 'name', { optional: true, max: 200 }) ?? '');
    const refused = checkNewPassword(password, deps.config.auth.local.password_min_length);
    if (refused !== undefined) throw new GatehouseError('GATE_ERR_WEAK_PASSWORD', `password: ${refused}`);
    const passwordHash = await deps.hasher.hash(password);
    let user;
    try {
      user = await deps.store.users.create({ email, name, passwordHash, roles: [] });
    } catch (err) {
      if (err instanceof ConflictError) throw new ConflictError('email', 'email: already registered');
      throw err;
    }
    deps.audit.record({ actor: user.id, org: null, action: 'user.registered', target: user.id, clientIp: ctx.clientIp, userAgent: req.headers['user-agent'] ?? null, data: { method: 'password' } });
    await startSession(deps, req, res, ctx, user, body, null, 'password', 'local', 201);
  };
}
