import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log/logger.js';
import { GatehouseError, isGatehouseError } from '../errors/index.js';
import { methodLabel, type Metrics } from '../metrics/metrics.js';
import { normalizeHost, normalizePath, type CompiledRoute } from '../routing/index.js';
import { decide, needsIdentity } from '../policy/decide.js';
import type { Identity, IdentityResolver } from '../policy/identity.js';
import { resolveClientAddress, type ClientAddress } from '../proxy/client-address.js';
import { buildUpstreamHeaders } from '../proxy/upstream-headers.js';
import { identityHeaders } from '../proxy/identity-headers.js';
import { forwardHttp } from '../proxy/forward-http.js';
import { forwardUpgrade } from '../proxy/forward-websocket.js';
import { upstreamErrorFor } from '../proxy/upstream-error.js';
import type { RuntimeTable } from './runtime-table.js';
import { isReservedPath } from './reserved-paths.js';
import type { EndpointRouter } from './endpoint-router.js';
import { sendError, wantsHtml } from './respond.js';
import { writeRawError } from './raw-response.js';

/** What the ingress handler needs from the app; passed in so tests can build several apps in one process. */
export interface IngressDeps {
  table(): RuntimeTable;
  metrics: Metrics;
  logger: Logger;
  identity: IdentityResolver;
  endpoints: EndpointRouter;
  /** Path of the login page browsers are sent to when a route needs a session. */
  loginPath: string;
  /** Optional hook that decides where an unauthenticated browser goes instead (a default OAuth provider). */
  loginRedirect?: (rd: string) => string;
}

/**
 * The request lifecycle, in order: admission (in-flight bound) -> path normalisation -> reserved paths ->
 * route match -> identity (only for routes that need it) -> policy -> forward. Every failure becomes a 4xx/5xx with
 * a JSON or HTML body; nothing a client sends can throw out of here.
 */
export function createIngress(deps: IngressDeps) {
  const { metrics, logger } = deps;
  let inFlight = 0;
  // Identity headers are derived once per identity object (the resolver keeps one per cached session).
  const identityHeaderCache = new WeakMap<Identity, { prefix: string; headers: [string, string][] }>();
  const identityHeadersFor = (prefix: string, identity: Identity): [string, string][] => {
    const cached = identityHeaderCache.get(identity);
    if (cached !== undefined && cached.prefix === prefix) return cached.headers;
    const headers = identityHeaders(prefix, identity);
    identityHeaderCache.set(identity, { prefix, headers });
    return headers;
  };
  // Labelled children are looked up once per label set, not hashed on every request (labels are bounded).
  const counters = new Map<string, { inc(): void }>();
  const histograms = new Map<string, { observe(v: number): void }>();

  function record(routeName: string, method: string | undefined, code: number, started: number): void {
    const methodName = methodLabel(method);
    const key = `${routeName} ${methodName} ${code}`;
    let counter = counters.get(key);
    if (counter === undefined) counters.set(key, (counter = metrics.httpRequests.labels(routeName, methodName, String(code))));
    counter.inc();
    let histogram = histograms.get(routeName);
    if (histogram === undefined) histograms.set(routeName, (histogram = metrics.httpDuration.labels(routeName)));
    histogram.observe((performance.now() - started) / 1000);
  }

  function finish(req: IncomingMessage, res: ServerResponse, started: number, route: { name: string }): void {
    inFlight--;
    metrics.inFlight.set(inFlight);
    record(route.name, req.method, res.statusCode, started);
  }

  /**
   * The steps every request and every Upgrade share, in order: client address, path normalisation, Host checks,
   * reserved paths, route match. One place, so the two entry points cannot drift apart.
   */
  function judge(req: IncomingMessage, table: RuntimeTable): Judgement {
    const client = resolveClientAddress(table.trustedProxies, req.socket.remoteAddress, isEncrypted(req), req.headers);
    const target = normalizePath(req.url ?? '');
    if (!target.ok) return { kind: 'refused', label: '_invalid', error: new GatehouseError('GATE_ERR_BAD_PATH', `bad request path: ${target.reason}`) };
    // RFC 9112 §3.2.2: for an absolute-form target, its authority is the host, whatever the Host header says.
    const host = target.authority ?? req.headers.host;
    if (host !== undefined && normalizeHost(host) === undefined) {
      return { kind: 'refused', label: '_invalid', error: new GatehouseError('GATE_ERR_BAD_REQUEST', 'bad Host header') };
    }
    // The upstream gets the Host header; refuse a target whose authority says otherwise, so both judge one host.
    if (target.authority !== undefined && normalizeHost(target.authority) !== normalizeHost(req.headers.host)) {
      return { kind: 'refused', label: '_invalid', error: new GatehouseError('GATE_ERR_BAD_REQUEST', 'the request target names another host than the Host header') };
    }
    if (isReservedPath(target.matchPath)) return { kind: 'reserved', client, path: target.path, query: target.query };
    const route = table.routes.match(host, target, req.method ?? 'GET');
    if (route === undefined) return { kind: 'refused', label: '_none', error: new GatehouseError('GATE_ERR_NOT_FOUND', 'no route matches this request') };
    const pathAndQuery = target.query === '' ? target.path : `${target.path}?${target.query}`;
    return { kind: 'route', client, route, pathAndQuery };
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const table = deps.table();
    const label = { name: '_none' };
    inFlight++;
    metrics.inFlight.set(inFlight);
    res.once('close', () => finish(req, res, started, label));
    try {
      if (inFlight > table.config.server.max_in_flight) {
        metrics.loadShed.inc({ reason: 'in_flight' });
        sendError(req, res, new GatehouseError('GATE_ERR_OVERLOADED'), { 'retry-after': '1' });
        return;
      }
      const judged = judge(req, table);
      if (judged.kind === 'refused') {
        label.name = judged.label;
        throw judged.error;
      }
      if (judged.kind === 'reserved') {
        label.name = '_gatehouse';
        const handler = deps.endpoints.find(req.method ?? 'GET', judged.path);
        if (handler === undefined) throw new GatehouseError('GATE_ERR_NOT_FOUND');
        if (handler === 'method') throw new GatehouseError('GATE_ERR_METHOD_NOT_ALLOWED');
        await handler(req, res, { path: judged.path, query: new URLSearchParams(judged.query), clientIp: judged.client.ip });
        return;
      }
      const { client, route, pathAndQuery } = judged;
      label.name = route.name;
      const identity = needsIdentity(route.config.policy) ? await deps.identity.resolve(req, client.ip) : undefined;
      if (!admit(req, res, route.config.policy, identity, pathAndQuery)) return;
      const upstream = table.upstreams.get(route.config.upstream!)!;
      const headers = buildUpstreamHeaders(req.rawHeaders, req.headers.connection, table.headerPolicy, client,
        identity ? identityHeadersFor(table.config.server.identity_header_prefix, identity) : [], false);
      const outcome = await forwardHttp(req, res, upstream, pathAndQuery, headers);
      if (!outcome.ok && outcome.reason !== 'client_gone') {
        metrics.upstreamErrors.inc({ upstream: upstream.name, reason: outcome.reason });
        const err = upstreamErrorFor(outcome.reason, upstream.name, outcome.error);
        logger.warn({ route: route.name, upstream: upstream.name, reason: outcome.reason, detail: err.detail }, 'upstream failed');
        if (!outcome.responded) sendError(req, res, err);
      }
    } catch (err) {
      answerFailure(req, res, err);
    }
  }

  /** Applies the policy decision; answers and returns false when the request may not pass. */
  function admit(req: IncomingMessage, res: ServerResponse, policy: RuntimeTable['config']['routes'][number]['policy'],
    identity: Identity | undefined, pathAndQuery: string): boolean {
    switch (decide(policy, identity)) {
      case 'allow':
        return true;
      case 'deny':
        sendError(req, res, new GatehouseError('GATE_ERR_FORBIDDEN', 'this route is closed'));
        return false;
      case 'forbidden':
        sendError(req, res, new GatehouseError('GATE_ERR_FORBIDDEN', 'you lack a role this route requires'));
        return false;
      case 'unauthenticated':
        if (wantsHtml(req) && (req.method === 'GET' || req.method === 'HEAD')) {
          const location = deps.loginRedirect?.(pathAndQuery) ?? `${deps.loginPath}?rd=${encodeURIComponent(pathAndQuery)}`;
          res.writeHead(302, { location, 'cache-control': 'no-store', 'content-length': 0 });
          res.end();
        } else {
          sendError(req, res, new GatehouseError('GATE_ERR_UNAUTHENTICATED'), { 'www-authenticate': 'Bearer realm="gatehouse"' });
        }
        return false;
    }
  }

  function answerFailure(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    if (isGatehouseError(err)) {
      if (err.status >= 500) logger.error({ code: err.code, detail: err.detail, err: err.cause }, err.message);
      const headers: Record<string, string> = err.retryAfterSeconds !== undefined ? { 'retry-after': String(err.retryAfterSeconds) } : {};
      sendError(req, res, err, headers);
      return;
    }
    logger.error({ err }, 'unexpected error while handling a request');
    sendError(req, res, new GatehouseError('GATE_ERR_INTERNAL'));
  }

  /** WebSocket and other Upgrade requests: same checks as onRequest, answered on the raw socket. */
  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const started = performance.now();
    const table = deps.table();
    let routeName = '_none';
    let code = 101;
    try {
      const judged = judge(req, table);
      if (judged.kind === 'refused') {
        routeName = judged.label;
        code = writeRawError(socket, judged.error);
      } else if (judged.kind === 'reserved') {
        routeName = '_gatehouse';
        code = writeRawError(socket, new GatehouseError('GATE_ERR_NOT_FOUND'));
      } else {
        const { client, route, pathAndQuery } = judged;
        routeName = route.name;
        const identity = needsIdentity(route.config.policy) ? await deps.identity.resolve(req, client.ip) : undefined;
        const decision = decide(route.config.policy, identity);
        if (decision === 'unauthenticated') code = writeRawError(socket, new GatehouseError('GATE_ERR_UNAUTHENTICATED'));
        else if (decision !== 'allow') code = writeRawError(socket, new GatehouseError('GATE_ERR_FORBIDDEN'));
        else if (!route.config.websockets) code = writeRawError(socket, new GatehouseError('GATE_ERR_FORBIDDEN', 'upgrades are not allowed on this route'));
        else {
          const upstream = table.upstreams.get(route.config.upstream!)!;
          const headers = buildUpstreamHeaders(req.rawHeaders, req.headers.connection, table.headerPolicy, client,
            identity ? identityHeadersFor(table.config.server.identity_header_prefix, identity) : [], true);
          const outcome = await forwardUpgrade(req, socket, head, upstream, pathAndQuery, headers);
          if (!outcome.ok) {
            metrics.upstreamErrors.inc({ upstream: upstream.name, reason: outcome.reason });
            code = writeRawError(socket, upstreamErrorFor(outcome.reason, upstream.name, outcome.error));
          }
        }
      }
    } catch (err) {
      logger.error({ err }, 'unexpected error during an upgrade');
      code = writeRawError(socket, new GatehouseError('GATE_ERR_INTERNAL'));
    }
    record(routeName, req.method, code, started);
  }

  return { onRequest, onUpgrade, inFlight: () => inFlight };
}

/** What `judge` concluded about a request before any identity or policy work. */
type Judgement =
  | { kind: 'refused'; label: string; error: GatehouseError }
  | { kind: 'reserved'; client: ClientAddress; path: string; query: string }
  | { kind: 'route'; client: ClientAddress; route: CompiledRoute; pathAndQuery: string };

function isEncrypted(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true;
}

export type Ingress = ReturnType<typeof createIngress>;
