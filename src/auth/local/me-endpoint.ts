import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatehouseError } from '../../errors/index.js';
import type { Identity } from '../../pipeline/3-authenticate/identity.js';
import { sendJson } from '../../http/respond.js';
import { userView } from './user-view.js';

/** GET /.gatehouse/me: who the session belongs to, or 401. */
export function meEndpoint(resolve: (req: IncomingMessage) => Promise<Identity | undefined>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const identity = await resolve(req);
    if (!identity) throw new GatehouseError('GATE_ERR_UNAUTHENTICATED');
    sendJson(res, 200, { user: userView({ id: identity.userId, email: identity.email, name: identity.name, roles: [...identity.roles] }, identity.orgs) });
  };
}
