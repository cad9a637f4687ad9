import { STATUS_CODES, createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatehouseConfig } from '../config/index.js';
import { watchConfigFile } from '../config/watch-config.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { buildRuntimeTable, retireRuntimeTable, type RuntimeTable } from '../pipeline/runtime-table.js';
import type { Pipeline, PipelineStages } from '../pipeline/pipeline.js';
import type { RequestObserver } from '../pipeline/context.js';
import { createIngress } from './ingress.js';
import { createAdminHandler, type ReadinessCheck, type ReadinessDetail } from './admin.js';
import type { EndpointRouter } from '../http/endpoint-router.js';
import type { Actor } from '../actors/actor.js';
import { ListenError } from '../errors/index.js';
import { createConfigReloader } from './config-reloader.js';
import { initialiseCounters } from '../metrics/known-labels.js';

/** How often Node looks for clients past server.headers_timeout or request_timeout (the bounds hold to within it). */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

/** What an instance is made of: built by the composition root (src/app.ts), in the order written there. */
export interface InstanceOptions {
  config: GatehouseConfig;
  /** The file the config came from; reloads re-read it. Omit to disable reloads. */
  configPath?: string;
  /** The SHA-256 of that file as it was loaded (`gatehouse_config_info`). */
  configSha256?: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Overrides the listen addresses (tests pass port 0). */
  listen?: { ingress?: { host: string; port: number }; admin?: { host: string; port: number } };
  metrics: Metrics;
  /** Gatehouse's own endpoints under /.gatehouse/. */
  endpoints: EndpointRouter;
  /** authenticate, authorize and mutate, for every transport. */
  stages: PipelineStages;
  /** Read each request's context when it ends (after the metrics). */
  observers?: readonly RequestObserver[];
  /** Background actors, started in this order after the listeners, stopped in the reverse order after they drain. */
  actors: readonly Actor[];
  /** What /readyz asks besides the instance's own state. */
  checks: readonly ReadinessCheck[];
  /** What /readyz?verbose reports without it deciding readiness (the database's state). */
  details?: readonly ReadinessDetail[];
}

/** A running (or ready to run) Gatehouse: two listeners, the route table, and the background actors. */
export interface Instance {
  readonly metrics: Metrics;
  readonly endpoints: EndpointRouter;
  /** The stages every transport runs (a forward-auth endpoint evaluates original requests with it). */
  readonly pipeline: Pipeline;
  start(): Promise<{ ingress: AddressInfo; admin: AddressInfo }>;
  /** Re-reads the config file and applies it when it changes only live settings; false (the old one kept) otherwise. */
  reload(): Promise<boolean>;
  /** Drain and stop: readyz 503 at once, serve for drain_delay, stop accepting, wait up to grace_period, stop actors. */
  stop(): Promise<void>;
  /** Immediate stop: closes every connection without waiting. */
  abort(): Promise<void>;
  current(): RuntimeTable;
  /** Adds a readiness check (tests; the root passes its checks in the options). */
  addReadinessCheck(check: ReadinessCheck): void;
}

/**
 * The instance: the ingress and admin listeners over the parts the composition root built, the route table and its
 * reloads, and the start and stop order (listeners, then actors; on stop, drain the listeners, then the actors).
 */
export function createInstance(options: InstanceOptions): Instance {
  const { logger, metrics, endpoints } = options;
  let table = buildRuntimeTable(options.config);
  const actors = [...options.actors];
  const checks = [...options.checks];
  let ready = false;
  let closing = false;
  let stopping: Promise<void> | undefined;
  let watcher: { close(): void } | undefined;
  const upgraded = new Set<Socket>();

  const ingress = createIngress({
    table: () => table, metrics, logger, endpoints, stages: options.stages, ...(options.observers ? { observers: options.observers } : {}),
  });
  const server0 = options.config.server;
  const ingressServer: Server = createServer({
    // Bounds on slow and idle clients (slowloris): server.headers_timeout, request_timeout, keep_alive_timeout,
    // max_connections (applied again on each reload, below). Node checks the first two on a timer, so they are
    // enforced to within connectionsCheckingInterval (its default, 30 s, would make a 10 s bound a 40 s one).
    headersTimeout: server0.headers_timeout, requestTimeout: server0.request_timeout, keepAliveTimeout: server0.keep_alive_timeout,
    connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS, maxHeaderSize: 32 * 1024,
  });
  const applyServerSettings = (config: GatehouseConfig): void => {
    const { headers_timeout: headers, request_timeout: request, keep_alive_timeout: keepAlive, max_connections: max } = config.server;
    ingressServer.headersTimeout = headers;
    ingressServer.requestTimeout = request;
    ingressServer.keepAliveTimeout = keepAlive;
    // Past it Node closes a new connection at once, before reading a byte ('drop' below counts it).
    ingressServer.maxConnections = max;
    const { window, min_utilization: busyShare, warm_up: warmUpMs } = config.server.admission;
    ingress.loopDelay.configure({ windowMs: window, busyShare, warmUpMs });
  };
  applyServerSettings(options.config);
  let openConnections = 0;
  ingressServer.on('connection', (socket: Socket) => {
    metrics.connectionsOpen.set(++openConnections);
    socket.once('close', () => metrics.connectionsOpen.set(--openConnections));
  });
  ingressServer.on('drop', () => metrics.connectionsClosed.inc({ reason: 'max_connections' }));
  ingressServer.on('request', (req, res) => {
    if (closing) res.setHeader('connection', 'close');
    void ingress.onRequest(req, res);
  });
  ingressServer.on('upgrade', (req, socket, head) => {
    upgraded.add(socket as Socket);
    socket.once('close', () => upgraded.delete(socket as Socket));
    void ingress.onUpgrade(req, socket, head);
  });
  ingressServer.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Malformed requests never reach a handler: answer 400 (or 431/408) on the socket and move on.
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') metrics.connectionsClosed.inc({ reason: 'timeout' });
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = JSON.stringify({ error: 'bad_request', code: 'GATE_ERR_BAD_REQUEST', message: 'malformed request' });
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  });
  const adminServer = createServer(createAdminHandler({ metrics, isReady: () => ready && !closing, checks, details: options.details ?? [] }));
  metrics.ready.set(0);
  const knownSeries = (config: GatehouseConfig): void => initialiseCounters(metrics, {
    upstreams: Object.keys(config.upstreams), oauthProviders: config.auth.providers.map((p) => p.id),
  });
  knownSeries(options.config);
  const reloader = options.configPath === undefined ? undefined : createConfigReloader({
    path: options.configPath, env: options.env ?? process.env, sha256: options.configSha256, metrics, logger,
    running: () => table.config,
    apply: (next) => {
      const old = table;
      table = buildRuntimeTable(next, old);
      knownSeries(next);
      applyServerSettings(next);
      // Only a changed setting touches the logger (a logger handed in by a test stays as it was given).
      if (next.logging.level !== old.config.logging.level) logger.level = next.logging.level;
      // In-flight requests hold `old`; pools it alone used are closed gracefully (undici lets running requests finish).
      void retireRuntimeTable(old, table);
    },
  });

  async function reload(): Promise<boolean> {
    return reloader !== undefined && await reloader.reload() === 'success';
  }

  async function listen(server: Server, where: { host: string; port: number }, setting: string, backlog?: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      const refused = (err: Error): void => reject(new ListenError(setting, where, err));
      server.once('error', refused);
      server.listen({ port: where.port, host: where.host, ...(backlog !== undefined ? { backlog } : {}) }, () => {
        server.off('error', refused);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  async function stopActors(deadlineMs: number): Promise<void> {
    for (const actor of [...actors].reverse()) {
      try {
        await actor.stop(deadlineMs);
      } catch (err) {
        logger.error({ err, actor: actor.name }, 'actor failed to stop cleanly');
      }
    }
  }

  async function closeEverything(): Promise<void> {
    watcher?.close();
    ingress.loopDelay.stop();
    ingressServer.closeAllConnections();
    for (const socket of upgraded) socket.destroy();
    await Promise.all([...table.upstreams.values()].map((u) => u.pool.destroy().catch(() => undefined)));
    await new Promise<void>((resolve) => adminServer.close(() => resolve()));
    adminServer.closeAllConnections();
  }

  return {
    metrics,
    endpoints,
    pipeline: ingress.pipeline,
    current: () => table,
    addReadinessCheck: (check) => { checks.push(check); },
    reload,
    async start() {
      const cfg = table.config;
      const admin = await listen(adminServer, options.listen?.admin ?? cfg.admin.listen, 'admin.listen');
      const ingressAddress = await listen(ingressServer, options.listen?.ingress ?? cfg.server.listen, 'server.listen', cfg.server.listen_backlog);
      for (const actor of actors) await actor.start();
      // The lateness probe starts last: what start-up itself blocked is not a delay any request waited through.
      ingress.loopDelay.start();
      if (options.configPath !== undefined && cfg.reload.watch) {
        watcher = watchConfigFile(options.configPath, cfg.reload.debounce, () => void reload());
      }
      ready = true;
      metrics.ready.set(1);
      const adminBind = `${admin.address.includes(':') ? `[${admin.address}]` : admin.address}:${admin.port}`;
      const adminScope = isLoopback(admin.address) ? 'loopback only' : 'reachable from the network: keep it off public networks';
      logger.info({ ingress: ingressAddress, admin, admin_bind: adminBind }, `gatehouse is listening; admin listener (metrics, health) on ${adminBind}, ${adminScope}`);
      return { ingress: ingressAddress, admin };
    },
    stop() {
      stopping ??= (async () => {
        const { drain_delay: drainDelay, grace_period: grace } = table.config.server;
        ready = false;
        metrics.ready.set(0);
        logger.info({ drainDelayMs: drainDelay, gracePeriodMs: grace }, 'draining: readyz now answers 503');
        await sleep(drainDelay);
        closing = true;
        const closed = new Promise<void>((resolve) => ingressServer.close(() => resolve()));
        const deadline = Date.now() + grace;
        while (ingress.inFlight() > 0 && Date.now() < deadline) await sleep(25);
        if (ingress.inFlight() > 0) logger.warn({ inFlight: ingress.inFlight(), tunnels: upgraded.size }, 'grace period over; closing remaining requests');
        // Every remaining connection ends now: keep-alive and in-flight ones (closeAllConnections), and upgraded ones,
        // which the HTTP server no longer tracks but which keep close() from calling back (a tunnel's end destroys
        // its upstream side too, proxy/tunnel.ts).
        ingressServer.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
        await closed;
        await stopActors(Math.max(1000, deadline - Date.now()));
        await closeEverything();
        logger.info('stopped');
      })();
      return stopping;
    },
    async abort() {
      ready = false;
      closing = true;
      ingressServer.close();
      await stopActors(1000);
      await closeEverything();
    },
  };
}

/** Whether an address a listener bound is a loopback one (127.0.0.0/8, ::1). */
function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address === '::ffff:127.0.0.1';
}
