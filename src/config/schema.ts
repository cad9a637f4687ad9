import { z } from 'zod';
import { checkTrustedProxyEntry, durationMs, httpUrl, listenAddress } from './schema-helpers.js';
import { storageSchema } from '../store/config-schema.js';
import { authSchema } from '../auth/config-schema.js';
import { sessionsSchema } from '../sessions/config-schema.js';
import { auditSchema, webhooksSchema } from '../actors/config-schema.js';
import { mailSchema } from '../mail/config-schema.js';
import { accountsSchema } from '../accounts/config-schema.js';
import { pagesSchema } from '../pages/config-schema.js';
import { upgradeProtocolsSchema } from '../proxy/config-schema.js';
import { routeSignedIdentitySchema, signedIdentitySchema } from '../signing/config-schema.js';

/** The fields an access log line may carry (docs/operations.md, "Access log"). */
export const ACCESS_LOG_FIELDS = [
  'request_id', 'method', 'host', 'path', 'route', 'status', 'outcome', 'reason', 'duration_ms', 'upstream_ms',
  'bytes_in', 'bytes_out', 'client_ip', 'user_id', 'user_agent', 'trace_id',
] as const;

/**
 * Query parameters that carry credentials somewhere Gatehouse or a common upstream reads them: OAuth codes and
 * state (RFC 6749 §4.1.2), tokens in links (password reset, email verification), API keys and signatures.
 */
export const REDACTED_QUERY_PARAMS = [
  'code', 'state', 'token', 'access_token', 'id_token', 'refresh_token', 'client_secret', 'code_verifier', 'password',
  'secret', 'key', 'api_key', 'apikey', 'signature', 'sig', 'x-amz-signature', 'x-amz-credential', 'ticket', 'session',
  'session_state', 'jwt', 'assertion', 'auth',
] as const;

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;

/**
 * What any object policy may add: `mfa: true` needs a session signed in with a second factor (amr "mfa"; a session
 * without one is asked for it: step-up), `verified_email: true` needs a confirmed email address.
 */
const assurance = {
  mfa: z.boolean().optional(),
  verified_email: z.boolean().optional(),
};

/** A route's policy: who may pass. `{ roles }` passes users holding at least one listed role. */
export const policySchema = z.union([
  z.enum(['public', 'authenticated', 'deny']),
  z.strictObject({ roles: z.array(z.string().min(1, 'expected a role name')).min(1, 'expected at least one role'), ...assurance }),
  // Members of an approved organization (any listed slug); with org_roles, only those holding one of the listed roles.
  z.strictObject({
    orgs: z.array(z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'expected an organization slug')).min(1, 'expected at least one organization'),
    org_roles: z.array(z.enum(['owner', 'admin', 'member'])).min(1, 'expected at least one org role').optional(),
    ...assurance,
  }),
  // Any signed-in user, with a second factor and/or a confirmed email.
  z.strictObject(assurance).refine((p) => p.mfa === true || p.verified_email === true, 'expected mfa: true or verified_email: true'),
], { error: 'expected public, authenticated, deny, { roles: [...] }, { orgs: [...], org_roles?: [...] } or { mfa: true, verified_email: true } (each object may add mfa and verified_email)' });

const routeSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected a name of letters, digits, "_", "." or "-" (at most 64)'),
  match: z.strictObject({
    /** Exact host or "*.example.com"; case and a trailing dot are ignored, and so is the port. */
    host: z.string().min(1).optional(),
    /** "/x/" prefix, "/x" exact, or a glob with * (one segment) and ** (any depth). */
    path: z.string().startsWith('/', 'expected a path starting with "/"').default('/'),
    methods: z.array(z.string().refine((m) => (HTTP_METHODS as readonly string[]).includes(m.toUpperCase()), {
      message: `expected an HTTP method (${HTTP_METHODS.join(', ')})`,
    }).transform((m) => m.toUpperCase() as HttpMethod)).min(1, 'expected at least one method').optional(),
    /** Match the path only in the case written; absent: `routing.case_sensitive`. */
    case_sensitive: z.boolean().optional(),
  }).prefault({}),
  policy: policySchema,
  upstream: z.string().min(1, 'expected an upstream name').optional(),
  /** Let WebSocket upgrades through on this route (after the policy has passed). */
  websockets: z.boolean().default(false),
  /** With `websockets: true`, protocols beyond websocket an Upgrade may ask for here (src/proxy/config-schema.ts); never h2c. */
  upgrade_protocols: upgradeProtocolsSchema,
  /** Add the signed identity assertion to requests this route forwards (absent: `signed_identity.enabled`). */
  signed_identity: routeSignedIdentitySchema.optional(),
}).superRefine((route, ctx) => {
  if (route.upgrade_protocols.length > 0 && !route.websockets) {
    ctx.addIssue({ code: 'custom', path: ['upgrade_protocols'], message: 'needs websockets: true (which lets upgrades through on this route)' });
  }
});

const upstreamSchema = z.strictObject({
  url: httpUrl,
  /** Longest wait for the upstream's response headers, and longest silence while streaming its body. */
  timeout: durationMs.default(30_000),
  connect_timeout: durationMs.default(5_000),
  /** Keep-alive connections kept to this upstream. */
  max_connections: z.number().int().positive().max(10_000).default(256),
});

/** The whole configuration file. Every key has a default except `upstreams` and `routes`. */
export const configSchema = z.strictObject({
  server: z.strictObject({
    listen: listenAddress.default({ host: '0.0.0.0', port: 4180 }),
    /** The URL browsers use to reach Gatehouse; redirect URIs and cookie security derive from it. */
    public_url: httpUrl.default('http://localhost:4180'),
    /** Peers (IPs or CIDRs) whose X-Forwarded-* headers are believed. */
    trusted_proxies: z.array(z.string().superRefine((entry, ctx) => {
      const problem = checkTrustedProxyEntry(entry);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })).default([]),
    /** Prefix of the identity headers Gatehouse sets (X-Auth-User-Id, ...). */
    identity_header_prefix: z.string().regex(/^[A-Za-z][A-Za-z0-9-]*-$/, 'expected a header prefix ending in "-", such as "X-Auth-"').default('X-Auth-'),
    /** Requests in flight through the proxy past which Gatehouse answers 503. */
    max_in_flight: z.number().int().positive().default(4096),
    /** After SIGTERM, keep serving this long (readyz already 503) so load balancers stop sending. */
    drain_delay: durationMs.default(5_000),
    /** Then wait at most this long for in-flight requests before closing them. */
    grace_period: durationMs.default(20_000),
    /**
     * After an upgrade (WebSocket) tunnel's client or upstream ends its side, how long the other side may stay open
     * before both are closed (a half-close is passed on at once; this bounds a peer that never answers it).
     */
    tunnel_half_close_timeout: durationMs.default(10_000),
    /** Largest request body Gatehouse reads itself (login forms, API). Proxied bodies stream and are not limited. */
    max_body_bytes: z.number().int().positive().default(1_048_576),
    /**
     * The ingress listener's accept queue (listen(2) backlog; the kernel caps it at net.core.somaxconn). Node's 511
     * overflowed here when a shed answer closed hundreds of connections at once: the kernel then drops the clients'
     * reconnecting SYNs, and each waits a 1 s (then 3 s) retransmission before it is even seen.
     */
    listen_backlog: z.number().int().min(1).max(65_535).default(4096),
    /** Open client connections past which a new one is closed at once, before any byte is read. */
    max_connections: z.number().int().positive().default(10_000),
    /** A client must send its whole request head within this time after connecting (or after its previous request), else 408 and close. */
    headers_timeout: durationMs.refine((ms) => ms >= 1000, 'expected at least 1s').default(10_000),
    /** A client must send its whole request (head and body) within this time; 0 turns the bound off (long uploads). */
    request_timeout: durationMs.default(300_000),
    /** An idle keep-alive connection is closed after this long without a new request. */
    keep_alive_timeout: durationMs.refine((ms) => ms >= 1, 'expected more than 0').default(5_000),
    /** Admission by lateness (src/pipeline/1-admit): how late the event loop may run before new work is refused. */
    admission: z.strictObject({
      /** Event-loop delay past which every new request is refused with 503 (the admin listener is never shed). */
      shed_delay: durationMs.refine((ms) => ms >= 1, 'expected more than 0').default(40),
      /** Event-loop delay past which the low-priority classes are refused: anonymous requests to protected routes and /.gatehouse/ endpoints. */
      shed_delay_low_priority: durationMs.refine((ms) => ms >= 1, 'expected more than 0').default(20),
      /** How long the loop must stay late (the least delay over this window counts) before anything is shed; at most 300ms. */
      window: durationMs.refine((ms) => ms >= 10 && ms <= 300, 'expected 10ms to 300ms').default(100),
      /**
       * Wait for an upstream connection past which forwards to that upstream are refused with 503: the least wait over
       * the last window (a standing queue of requests Gatehouse holds but cannot pass on; admission/upstream-queue.ts).
       */
      upstream_queue_delay: durationMs.refine((ms) => ms >= 1, 'expected more than 0').default(20),
      /** For this long after start nothing is shed for lateness: a fresh process compiles its code on its first requests. */
      warm_up: durationMs.refine((ms) => ms <= 60_000, 'expected at most 60s').default(5_000),
      /** The share of the window the loop must have been busy for its delay to count (a loop late for want of a CPU others hold is not helped by refusing). */
      min_utilization: z.number().min(0).max(1).default(0.9),
      /** A shed answer closes its connection, so a keep-alive client reconnects instead of coming straight back. */
      close_connection: z.boolean().default(true),
      /** The Retry-After a shed answer carries. */
      retry_after: durationMs.refine((ms) => ms >= 1000 && ms % 1000 === 0, 'expected whole seconds, at least 1s').default(1_000),
    }).prefault({}).refine((a) => a.shed_delay_low_priority <= a.shed_delay, {
      message: 'expected shed_delay_low_priority at most shed_delay', path: ['shed_delay_low_priority'],
    }),
  }).prefault({}).refine((s) => s.request_timeout === 0 || s.headers_timeout <= s.request_timeout, {
    message: 'expected headers_timeout at most request_timeout (or request_timeout: 0)', path: ['headers_timeout'],
  }),
  admin: z.strictObject({
    /**
     * /metrics, /healthz, /readyz. Default: loopback (127.0.0.1:4181), so metrics and health are not offered to the
     * network by accident; inside Kubernetes (KUBERNETES_SERVICE_HOST is set) 0.0.0.0:4181, because the kubelet's
     * probes and Prometheus reach the pod's IP, not its loopback (parseConfigText fills that in).
     */
    listen: listenAddress.default({ host: '127.0.0.1', port: 4181 }),
  }).prefault({}),
  logging: z.strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /** One line per request at info level (src/pipeline/access-log.ts); applied live by a reload. */
    access_log: z.strictObject({
      enabled: z.boolean().default(true),
      /** The share of requests logged (0..1); answers of 500 and above are always logged. */
      sample_ratio: z.number().min(0, 'expected a ratio from 0 to 1').max(1, 'expected a ratio from 0 to 1').default(1),
      /** The fields each line carries, in this order. */
      fields: z.array(z.enum(ACCESS_LOG_FIELDS)).min(1, 'expected at least one field').default([...ACCESS_LOG_FIELDS]),
      /** Query parameters whose values are written as "[redacted]" (compared case-insensitively). */
      redact_query: z.array(z.string().min(1)).default([...REDACTED_QUERY_PARAMS]),
    }).prefault({}),
  }).prefault({}),
  /** Watch the config file's directory and reload when it changes (SIGHUP always reloads). */
  reload: z.strictObject({
    watch: z.boolean().default(true),
    debounce: durationMs.default(250),
  }).prefault({}),
  /** How request paths are read when matched (src/routing/route-table.ts). */
  routing: z.strictObject({
    /**
     * false: a path is also judged case-folded, as Express, IIS and ASP.NET read it (the strictest route of both
     * readings applies); true: routes match only the case written (every upstream is case-sensitive).
     */
    case_sensitive: z.boolean().default(false),
  }).prefault({}),
  /** OpenTelemetry traces (docs/operations.md, "Tracing"); off by default, bound at start. */
  tracing: z.strictObject({
    enabled: z.boolean().default(false),
    /** The OTLP/HTTP traces endpoint (JSON encoding), e.g. an OpenTelemetry Collector's :4318/v1/traces. */
    otlp_endpoint: httpUrl.default('http://127.0.0.1:4318/v1/traces'),
    /** The share of new traces recorded (0..1); a trusted caller's sampling decision is followed. */
    sample_ratio: z.number().min(0, 'expected a ratio from 0 to 1').max(1, 'expected a ratio from 0 to 1').default(1),
    service_name: z.string().min(1).default('gatehouse'),
    /** How often queued spans are exported, and how long one export may take. */
    export_interval: durationMs.default(5_000),
    export_timeout: durationMs.default(10_000),
    /** Spans queued for export at most; past it new spans are dropped (never the requests). */
    max_queue: z.number().int().positive().max(100_000).default(2048),
  }).prefault({}),
  upstreams: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected an upstream name of letters, digits, "_", "." or "-"'), upstreamSchema)
    .refine((u) => Object.keys(u).length > 0, 'expected at least one upstream'),
  routes: z.array(routeSchema),
  storage: storageSchema,
  auth: authSchema,
  sessions: sessionsSchema,
  audit: auditSchema,
  webhooks: webhooksSchema,
  mail: mailSchema,
  accounts: accountsSchema,
  pages: pagesSchema,
  signed_identity: signedIdentitySchema,
});

export type GatehouseConfig = z.output<typeof configSchema>;
export type RouteConfig = GatehouseConfig['routes'][number];
export type RoutePolicy = RouteConfig['policy'];
export type UpstreamConfig = GatehouseConfig['upstreams'][string];
export type HttpMethod = (typeof HTTP_METHODS)[number];

/**
 * Checks that span sections (route names unique, upstream references known). They run on the raw data even when
 * the schema found other problems, so one run of check-config reports everything at once.
 */
export function crossCheckConfig(raw: unknown): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const root = isRecord(raw) ? raw : {};
  const known = isRecord(root['upstreams']) ? Object.keys(root['upstreams']) : [];
  const routes = Array.isArray(root['routes']) ? root['routes'] : [];
  const seen = new Map<string, number>();
  routes.forEach((route: unknown, i) => {
    if (!isRecord(route)) return;
    const name = route['name'];
    if (typeof name === 'string') {
      const first = seen.get(name);
      if (first !== undefined) problems.push({ path: ['routes', i, 'name'], message: `duplicate route name "${name}" (first used by routes[${first}])` });
      else seen.set(name, i);
    }
    const upstream = route['upstream'];
    if (upstream === undefined) {
      if (route['policy'] !== 'deny') problems.push({ path: ['routes', i, 'upstream'], message: 'required: expected an upstream name (only deny routes may omit it)' });
    } else if (typeof upstream === 'string' && upstream !== '' && !known.includes(upstream)) {
      problems.push({ path: ['routes', i, 'upstream'], message: `unknown upstream "${upstream}" (known: ${known.join(', ') || 'none'})` });
    }
  });
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
