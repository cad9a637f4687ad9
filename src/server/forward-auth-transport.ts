import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatehouseError } from '../errors/index.js';
import { sendError, wantsHtml } from '../http/respond.js';
import { refusalError } from '../pipeline/4-authorize/decide.js';
import type { RequestContext, RequestFacts } from '../pipeline/context.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { RuntimeTable } from '../pipeline/runtime-table.js';
import { plainIp } from '../proxy/client-address.js';
import { identityHeaders } from '../proxy/identity-headers.js';
import { detectDialect, readOriginal, type AuthzPath, type Dialect } from './forward-auth-dialects.js';

const LOGIN_PATH = '/.gatehouse/login';

/**
 * The forward-auth transport: an ingress (nginx auth_request, Traefik forwardAuth, Caddy forward_auth, Envoy
 * ext_authz) asks whether an original request, described in headers, may pass. A thin shell over the same stages
 * as proxied traffic (judge -> authenticate -> authorize -> mutate, no forward), so a path the proxy refuses is
 * refused here and an allowed caller gets the same identity headers (every mutator's, signed ones included).
 * Answers: 200 with the identity headers and no body; 401, or a 302 to sign in for browsers where the ingress
 * relays it; 403 when the policy refuses. Believed only from `server.trusted_proxies`: anyone else could describe
 * any request they like (docs/forward-auth.md).
 */
export function createForwardAuthTransport(deps: { readonly pipeline: Pipeline }) {
  const { pipeline } = deps;
  const signInUrl = pipeline.stages.signInUrl ?? ((rd: string) => `${LOGIN_PATH}?rd=${encodeURIComponent(rd)}`);

  return async function answerForwardAuth(req: IncomingMessage, res: ServerResponse, where: AuthzPath, table: RuntimeTable, ctx: RequestContext): Promise<void> {
    ctx.route = '_forward_auth';
    const trusted = table.trustedProxies.has(plainIp(req.socket.remoteAddress));
    const dialect: Dialect | undefined = where.dialect ?? detectDialect(req.headers);
    if (dialect === 'start' && !(trusted && req.headers['x-original-url'] !== undefined)) {
      // A sign-in link (ingress-nginx `auth-signin`: ?rd=<original URL>); anyone may follow one, and the login page
      // judges `rd` by the open-redirect rules (route hosts and auth.allowed_redirect_hosts) when it is used.
      const rd = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('rd');
      if (rd === null || rd === '') throw new GatehouseError('GATE_ERR_FORWARD_AUTH_BAD_REQUEST', 'a sign-in start needs ?rd=<the original URL>');
      ctx.outcome = 'unauthenticated';
      redirect(res, absolute(signInUrl(rd), table));
      return;
    }
    if (!trusted) throw new GatehouseError('GATE_ERR_FORWARD_AUTH_UNTRUSTED', undefined, { detail: `forward-auth request from ${req.socket.remoteAddress ?? 'unknown'}` });
    if (dialect === undefined) {
      throw new GatehouseError('GATE_ERR_FORWARD_AUTH_BAD_REQUEST', 'name the original request with X-Original-URL (nginx) or X-Forwarded-Uri (Traefik, Caddy), or use /.gatehouse/authz/<dialect>');
    }
    const fallbackScheme = new URL(table.config.server.public_url).protocol === 'https:' ? 'https' : 'http';
    const original = readOriginal(dialect, req.headers, req.method ?? 'GET', where.envoyTarget, fallbackScheme);
    if (original instanceof GatehouseError) throw original;
    const upgrade = req.headers.upgrade;
    const facts: RequestFacts = {
      method: original.method, target: original.target, host: original.host, peer: req.socket.remoteAddress,
      encrypted: original.scheme === 'https',
      headers: {
        authorization: req.headers.authorization, cookie: req.headers.cookie, 'x-forwarded-for': req.headers['x-forwarded-for'],
        'x-forwarded-proto': original.scheme, 'x-forwarded-host': original.host, host: original.host,
        // The judge reads an upgrade's offer (h2c is refused for an ingress as for the proxy).
        upgrade: typeof upgrade === 'string' ? upgrade : undefined,
      },
      // Any Upgrade offer is judged as one: the ingress may pass it on, so h2c is refused here as at the proxy.
      upgrade: typeof upgrade === 'string' && upgrade.trim() !== '',
      origin: `${original.scheme}://${original.host}`,
    };
    const evaluation = await pipeline.evaluate(facts, table, ctx);
    const browser = dialect !== 'nginx' && wantsHtml(req) && (original.method === 'GET' || original.method === 'HEAD');
    if (evaluation.kind === 'refused') return refuse(req, res, dialect, evaluation.error);
    if (evaluation.kind === 'reserved') {
      // Gatehouse's own paths are served by Gatehouse, never by an app: the ingress must route them here.
      ctx.outcome = 'refused';
      return refuse(req, res, dialect, new GatehouseError('GATE_ERR_NOT_FOUND', 'route /.gatehouse/ to Gatehouse itself, not through forward-auth'));
    }
    const { decision } = evaluation;
    if (decision.kind === 'allow') {
      ctx.outcome = 'authorized';
      if (dialect === 'start') {
        // The session arrived between nginx's subrequest and this one: back to the page.
        redirect(res, `${facts.origin}${evaluation.pathAndQuery}`);
        return;
      }
      // No body, no per-request object beyond the header list: a cached session costs a map lookup and this.
      const out: string[] = ['cache-control', 'no-store', 'content-length', '0'];
      for (const [name, value] of evaluation.headers) out.push(name, value);
      if (dialect === 'caddy' && evaluation.headers.length === 0) {
        // Caddy before 2.9 sets a copy_headers header the answer lacks to the placeholder's own text
        // ("{http.reverse_proxy.header.X-Auth-User-Id}", caddyserver/caddy#6610): state "nobody" as empty values.
        for (const name of identityHeaderNames(table.config.server.identity_header_prefix)) out.push(name, '');
      }
      res.writeHead(200, out);
      res.end();
      return;
    }
    if (decision.kind === 'unauthenticated' && browser) {
      redirect(res, absolute(decision.signIn.location, table));
      return;
    }
    const headers: Record<string, string> = decision.kind === 'unauthenticated' ? { 'www-authenticate': decision.signIn.challenge } : {};
    return refuse(req, res, dialect, refusalError(decision), headers);
  };
}

/**
 * A refusal in the dialect's form. nginx's auth_request turns anything but 401 and 403 into a 500, and never shows
 * the subrequest's body: it gets 401 or 403 (a bad path or no route is a 403 there) with no body. Every other
 * dialect relays the answer to the client, which gets the same status and JSON as in proxy mode.
 */
function refuse(req: IncomingMessage, res: ServerResponse, dialect: Dialect, err: GatehouseError, headers: Record<string, string> = {}): void {
  if (dialect === 'nginx') {
    res.writeHead(err.status === 401 ? 401 : 403, { ...headers, 'cache-control': 'no-store', 'x-gatehouse-error': err.code, 'content-length': 0 });
    res.end();
    return;
  }
  sendError(req, res, err, headers);
}

const NAMES = new Map<string, readonly string[]>();

/** The identity header names under a prefix (X-Auth-User-Id, ...). */
function identityHeaderNames(prefix: string): readonly string[] {
  let names = NAMES.get(prefix);
  if (names === undefined) {
    names = identityHeaders(prefix, { userId: '', email: '', name: '', roles: [] }).map(([name]) => name);
    NAMES.set(prefix, names);
  }
  return names;
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
}

/** Sign-in pages live on Gatehouse's own site (server.public_url), whichever host the original request named. */
function absolute(location: string, table: RuntimeTable): string {
  return new URL(location, table.config.server.public_url).href;
}
