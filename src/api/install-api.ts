import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '../app.js';
import type { AuditRecorder } from '../auth/auth-deps.js';
import type { AuthRuntime } from '../auth/install-auth.js';
import { readBody } from '../auth/request-body.js';
import type { GatehouseConfig } from '../config/index.js';
import { GatehouseError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { EndpointContext } from '../server/endpoint-router.js';
import { sendJson } from '../server/respond.js';
import type { Store } from '../store/store.js';
import { createWebhookDeliverer, type WebhookDeliverer } from '../actors/webhook-deliverer.js';
import { auditEndpoints } from './audit.js';
import { PLATFORM_OWNER, type ApiCall, type ApiDeps, type ApiEndpoint, type Caller } from './context.js';
import { deliveryEndpoints } from './deliveries.js';
import { ApiValidationError } from './errors.js';
import { enqueueEvent } from './events.js';
import { meSessionEndpoints } from './me-sessions.js';
import { memberEndpoints } from './members.js';
import { OPENAPI_DOCUMENT } from './openapi.js';
import { orgEndpoints } from './orgs.js';
import { ApiRouter } from './router.js';
import { userEndpoints } from './users.js';
import type { JsonObject } from './validate.js';
import { webhookEndpoints } from './webhooks.js';

export const API_PREFIX = '/.gatehouse/api/v1';
/** API bodies are small JSON objects; anything larger is refused with 413 before it is parsed. */
const API_BODY_LIMIT = 64 * 1024;
const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** Every endpoint of the API, in one router (the OpenAPI test and the authorization matrix read it). */
export function buildApiRouter(): ApiRouter<ApiEndpoint> {
  const router = new ApiRouter<ApiEndpoint>();
  const openapi: ApiEndpoint = { method: 'GET', pattern: '/openapi.json', auth: 'public', run: async () => ({ status: 200, body: OPENAPI_DOCUMENT }) };
  for (const e of [openapi, ...orgEndpoints(), ...memberEndpoints(), ...webhookEndpoints(), ...deliveryEndpoints(),
    ...auditEndpoints(), ...userEndpoints(), ...meSessionEndpoints()]) {
    router.add({ method: e.method, pattern: e.pattern, handler: e });
  }
  return router;
}

/** The running API: its deliverer (an actor of the app) and the router. */
export interface ApiRuntime {
  readonly deliverer: WebhookDeliverer;
  readonly router: ApiRouter<ApiEndpoint>;
}

/**
 * Installs the SSO API under /.gatehouse/api/v1/ and the webhook deliverer as an actor. The request pipeline of an
 * API call: route (404/405) -> session (401) -> fresh user from the store (401 when gone or disabled) -> CSRF for
 * writes (application/json + Origin, 415/403) -> the handler: visibility (404), authorization (403), body (413,
 * 400), then the change in one transaction with its outbox rows, cache eviction, and an audit event.
 */
export function installApi(app: App, config: GatehouseConfig, store: Store, logger: Logger, auth: AuthRuntime): ApiRuntime {
  const deliverer = createWebhookDeliverer({ store, config: config.webhooks, metrics: app.metrics, logger, audit: auth.audit });
  app.addActor(deliverer);
  const deps: ApiDeps = { store, auth, config, webhooks: config.webhooks, logger, kickDeliverer: () => deliverer.kick() };
  const router = buildApiRouter();
  const bodyLimit = Math.min(API_BODY_LIMIT, config.server.max_body_bytes);

  app.endpoints.addPrefix(`${API_PREFIX}/`, async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext) => {
    const path = ctx.path.slice(API_PREFIX.length);
    const method = req.method ?? 'GET';
    const found = router.match(method, path);
    if (found.kind === 'none') throw new GatehouseError('GATE_ERR_NOT_FOUND');
    if (found.kind === 'method') {
      res.setHeader('allow', [...new Set(found.allow.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])))].join(', '));
      throw new GatehouseError('GATE_ERR_METHOD_NOT_ALLOWED');
    }
    const endpoint = found.route.handler;
    let caller: Caller | undefined;
    if (endpoint.auth !== 'public') {
      caller = await authenticate(req);
      if (!caller) {
        res.setHeader('www-authenticate', 'Bearer realm="gatehouse"');
        throw new GatehouseError('GATE_ERR_UNAUTHENTICATED');
      }
    }
    if (WRITE_METHODS.has(method)) checkWriteRequest(req);
    let bodyRead = false;
    const call: ApiCall = {
      deps, req, res, ctx, params: found.params, query: ctx.query, caller: caller!,
      async body(allowed) {
        if (bodyRead) throw new TypeError('body read twice');
        bodyRead = true;
        const value = await readJsonObject(req, bodyLimit);
        for (const key of Object.keys(value)) if (!allowed.includes(key)) throw new ApiValidationError(key, 'unknown field');
        return value;
      },
      audit(action, event) {
        auth.audit.record({
          actor: caller?.user.id ?? null, org: event.org ?? null, action, target: event.target ?? null,
          clientIp: ctx.clientIp, userAgent: req.headers['user-agent']?.slice(0, 512) ?? null, data: event.data ?? null,
        });
      },
    };
    const result = await endpoint.run(call);
    if (result.status === 204) {
      res.writeHead(204, { 'cache-control': 'no-store', ...result.headers });
      res.end();
    } else {
      sendJson(res, result.status, result.body ?? {}, result.headers);
    }
  });

  /** The session's user, re-read so a disable or a role change made on another replica counts at once here. */
  async function authenticate(req: IncomingMessage): Promise<Caller | undefined> {
    const identity = await auth.authenticate(req.headers);
    if (!identity) return undefined;
    const user = await store.users.get(identity.userId);
    if (!user || user.disabled) return undefined;
    return { user, sessionId: identity.sessionId, platformOwner: user.roles.includes(PLATFORM_OWNER) };
  }

  /**
   * CSRF (OWASP cheat sheet): writes must be application/json, which a cross-site page cannot send without a CORS
   * preflight Gatehouse never grants, and an Origin naming another site is refused. DELETE without a body may omit
   * the content type (browsers preflight DELETE anyway).
   */
  function checkWriteRequest(req: IncomingMessage): void {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    if (type !== 'application/json' && !(req.method === 'DELETE' && type === '' && !hasBody)) {
      throw new GatehouseError('GATE_ERR_UNSUPPORTED_MEDIA_TYPE', 'expected Content-Type: application/json');
    }
    auth.deps.csrf.check(req, { kind: 'json', value: {} });
  }

  tapLogins(deps, auth, logger);
  return { deliverer, router };
}

/** Reads a JSON object body: empty is `{}`, over the limit is 413, anything but an object is 400 naming `body`. */
async function readJsonObject(req: IncomingMessage, limit: number): Promise<JsonObject> {
  const raw = await readBody(req, limit);
  if (raw.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ApiValidationError('body', 'malformed JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ApiValidationError('body', 'expected a JSON object');
  return value as JsonObject;
}

/**
 * `user.login` webhooks: every login method (password, OAuth) records a `user.login` audit event through
 * AuthRuntime.deps.audit, so the API observes that stream instead of every login method knowing about webhooks.
 * The deliveries are queued right after the login (not in its transaction: the login itself writes nothing an
 * outbox row could join); a failure is logged and the login stands.
 */
function tapLogins(deps: ApiDeps, auth: AuthRuntime, logger: Logger): void {
  const inner: AuditRecorder = auth.deps.audit;
  const tee: AuditRecorder = {
    record(event) {
      inner.record(event);
      const data = event.data as { result?: unknown; method?: unknown; provider?: unknown } | null;
      if (event.action === 'user.login' && data?.result === 'success' && event.actor) {
        void queueLogin(deps, event.actor, { method: data.method ?? null, provider: data.provider ?? null })
          .catch((err: unknown) => logger.warn({ err, user: event.actor }, 'could not queue user.login webhooks'));
      }
    },
  };
  (auth.deps as { audit: AuditRecorder }).audit = tee;
}

async function queueLogin(deps: ApiDeps, userId: string, how: Record<string, unknown>): Promise<void> {
  const { store } = deps;
  const user = await store.users.get(userId);
  if (!user) return;
  const memberships = await store.memberships.listForUser(userId, { limit: 200 });
  let queued = 0;
  for (const m of memberships.items) {
    const org = await store.orgs.get(m.orgId);
    if (!org || org.status !== 'approved') continue;
    queued += await store.transaction((tx) => enqueueEvent(tx, org, 'user.login', { user: { id: user.id, email: user.email }, role: m.role, ...how }));
  }
  if (queued > 0) deps.kickDeliverer();
}
