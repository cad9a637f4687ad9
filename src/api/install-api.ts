import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditRecorder } from '../actors/audit-writer.js';
import { createWebhookDeliverer, type WebhookDeliverer } from '../actors/webhook-deliverer.js';
import type { AccountAdmin } from '../auth/account-admin.js';
import type { CsrfGuard } from '../auth/csrf.js';
import { readBody } from '../http/request-body.js';
import { refuseControlCharactersInJson } from '../http/input-guard.js';
import type { GatehouseConfig } from '../config/index.js';
import { GatehouseError } from '../errors/index.js';
import type { DomainEventBus } from '../events/domain-events.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Authenticate } from '../pipeline/3-authenticate/authenticate.js';
import { BEARER_CHALLENGE } from '../pipeline/4-authorize/decide.js';
import type { EndpointContext, EndpointRouter } from '../http/endpoint-router.js';
import { sendJson } from '../http/respond.js';
import { sessionCookieOptions } from '../sessions/cookie.js';
import type { SessionService } from '../sessions/session-service.js';
import type { Store } from '../store/store.js';
import { auditEndpoints } from './audit.js';
import { PLATFORM_OWNER, endpoint, type ApiCall, type ApiDeps, type ApiEndpoint, type Caller } from './context.js';
import { deliveryEndpoints } from './deliveries.js';
import { ApiValidationError } from './errors.js';
import { queueLoginWebhooks } from './login-webhooks.js';
import { meSessionEndpoints } from './me-sessions.js';
import { memberEndpoints } from './members.js';
import { openApiDocument } from './openapi.js';
import { orgEndpoints } from './orgs.js';
import { ApiRouter } from './router.js';
import { userEndpoints } from './users.js';
import { NoBody, NoQuery, OpenApiDocument } from './schemas.js';
import { parseBody, parseQuery, type JsonObject } from './validate.js';
import { webhookEndpoints } from './webhooks.js';

export const API_PREFIX = '/.gatehouse/api/v1';
/** API bodies are small JSON objects; anything larger is refused with 413 before it is parsed. */
const API_BODY_LIMIT = 64 * 1024;
const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/**
 * Every endpoint of the API, in one router (the OpenAPI test and the authorization matrix read it), and the
 * OpenAPI document generated from those same endpoints, served by the first of them.
 */
export function buildApiRouter(): ApiRouter<ApiEndpoint> {
  const router = new ApiRouter<ApiEndpoint>();
  let document: Record<string, unknown> | undefined;
  const openapi = endpoint({
    method: 'GET', pattern: '/openapi.json', auth: 'public', operationId: 'getOpenApi', summary: 'This document.',
    responses: { 200: { description: 'The OpenAPI 3.1 document', schema: OpenApiDocument } },
    run: async () => ({ status: 200, body: document }),
  });
  const endpoints = [openapi, ...orgEndpoints(), ...memberEndpoints(), ...webhookEndpoints(), ...deliveryEndpoints(),
    ...auditEndpoints(), ...userEndpoints(), ...meSessionEndpoints()];
  for (const e of endpoints) router.add({ method: e.method, pattern: e.pattern, handler: e });
  // Built once, at start-up: a schema the generator cannot describe fails the start, not a request.
  document = openApiDocument(endpoints);
  return router;
}

/** The OpenAPI document of the API (the same value GET /openapi.json answers with). */
export function apiDocument(): Record<string, unknown> {
  return openApiDocument(buildApiRouter().routes().map((r) => r.handler));
}

/** What the SSO API is built from (by the composition root). */
export interface ApiOptions {
  readonly config: GatehouseConfig;
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly events: DomainEventBus;
  readonly audit: AuditRecorder;
  readonly accounts: AccountAdmin;
  readonly sessions: SessionService;
  readonly csrf: CsrfGuard;
  /** Account mail (the accounts' outbox); absent: invitations are not mailed. */
  readonly mail?: ApiDeps['mail'];
  /** The authenticate stage (bearer, then cookie): who the caller is. */
  readonly authenticate: Authenticate;
}

/** The running API: its deliverer (an actor of the instance) and the router. */
export interface ApiRuntime {
  readonly deliverer: WebhookDeliverer;
  readonly router: ApiRouter<ApiEndpoint>;
}

/**
 * Installs the SSO API under /.gatehouse/api/v1/ and returns the webhook deliverer (an actor). The request pipeline
 * of an API call: route (404/405) -> session (401) -> fresh user from the store (401 when gone or disabled) -> CSRF
 * for writes (application/json + Origin, 415/403) -> the handler: visibility (404), authorization (403), body (413,
 * 400), then the change and its outbox rows in one transaction, and its domain events once committed
 * (api/commit-change.ts). The deliverer wakes on `outbox.queued`; `user.login` events queue login webhooks.
 */
export function installApi(endpoints: EndpointRouter, options: ApiOptions): ApiRuntime {
  const { config, store, logger, metrics, events, audit, csrf } = options;
  const deliverer = createWebhookDeliverer({ store, config: config.webhooks, metrics, logger, audit });
  events.on('outbox.queued', () => deliverer.kick());
  queueLoginWebhooks(events, store, logger);
  const deps: ApiDeps = {
    store, config, webhooks: config.webhooks, logger, events, accounts: options.accounts, sessions: options.sessions,
    cookie: { name: config.sessions.cookie.name, options: sessionCookieOptions(config.sessions) },
    mail: options.mail ?? { seal: () => null, kick: () => undefined },
  };
  const router = buildApiRouter();
  const bodyLimit = Math.min(API_BODY_LIMIT, config.server.max_body_bytes);

  endpoints.addPrefix(`${API_PREFIX}/`, async (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext) => {
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
        res.setHeader('www-authenticate', BEARER_CHALLENGE);
        throw new GatehouseError('GATE_ERR_UNAUTHENTICATED');
      }
    }
    if (WRITE_METHODS.has(method)) checkWriteRequest(req);
    const query = parseQuery(endpoint.query ?? NoQuery, ctx.query);
    let bodyRead = false;
    const call: ApiCall = {
      deps, req, res, ctx, params: found.params, query, caller: caller!,
      async body() {
        if (bodyRead) throw new TypeError('body read twice');
        bodyRead = true;
        return parseBody(endpoint.body ?? NoBody, await readJsonObject(req, bodyLimit));
      },
      audit(action, event) {
        audit.record({
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
    const identity = await options.authenticate(req.headers);
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
    csrf.check(req, { kind: 'json', value: {} });
  }

  return { deliverer, router };
}

/** Reads a JSON object body: empty is `{}`, over the limit is 413, anything but an object is 400 naming `body`, a control character 400 naming its field. */
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
  refuseControlCharactersInJson(value);
  return value as JsonObject;
}
