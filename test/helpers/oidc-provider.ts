// A real OpenID provider for the OAuth tests: `oidc-provider` (panva's certified OP) in this process on loopback,
// with its own development login pages, plus a small, explicit misbehaving layer in front of it.
//
// Why the layer: oidc-provider is correct and cannot be asked to issue a wrong nonce, a foreign audience, an expired
// ID token, a bad signature, `alg: none`, a userinfo for another subject, or to go slow or down. So the issuer
// URL Gatehouse talks to is a tiny HTTP proxy on 127.0.0.1 that forwards every request unchanged (Host kept, so the
// provider's URLs name the proxy) to oidc-provider on another loopback port, and, only when a test sets a hook,
// rewrites one JSON answer (token, JWKS, userinfo, discovery), re-signing ID tokens with `jose` using the
// provider's own key (or a key the test "rotated in"). With no hook set, it is a transparent pipe.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Provider from 'oidc-provider';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

/** What the provider knows about one account (the login name typed on its login page is the subject). */
export interface IdpAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
}

/** A signing key of the provider (or one a test rotates in). */
export interface IdpKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: SigningKey;
  readonly publicJwk: JWK;
  readonly privateJwk: JWK;
}

export type JsonObject = Record<string, unknown>;

/** Hooks a test sets to make the provider misbehave; all unset means a transparent proxy. */
export interface Misbehaviour {
  /** Rewrites the token endpoint's JSON answer (use `resignIdToken` to change ID token claims). */
  token?: (body: JsonObject) => JsonObject | Promise<JsonObject>;
  jwks?: (body: { keys: JWK[] }) => { keys: JWK[] };
  userinfo?: (body: JsonObject) => JsonObject;
  discovery?: (body: JsonObject) => JsonObject;
  /** Waits this long before answering requests whose path starts with `delayPath` (default: every path). */
  delayMs?: number;
  delayPath?: string;
  /** Answers every request by closing the connection (a provider that is down behind a load balancer). */
  down?: boolean;
  /** Answers the token endpoint with this status and a plain-text body (a provider failing). */
  tokenStatus?: number;
}

export interface TestIdp {
  readonly issuer: string;
  readonly port: number;
  readonly accounts: Map<string, IdpAccount>;
  readonly key: IdpKey;
  misbehave: Misbehaviour;
  /** Every request the proxy saw, in order (method and path). */
  readonly requests: { method: string; path: string }[];
  /** Re-signs an ID token after `change` edits its claims (and header), with `key` (default: the provider's key). */
  resignIdToken(idToken: string, change: (claims: JWTPayload, header: { alg: string; kid?: string }) => void, key?: IdpKey): Promise<string>;
  close(): Promise<void>;
}

export interface IdpClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

/** Generates an RSA (or other) signing key with a kid, as oidc-provider and jose both want it. */
export async function generateIdpKey(kid: string, alg = 'RS256'): Promise<IdpKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk, privateJwk };
}

/**
 * Starts the provider (and the proxy in front of it) on loopback. `clients` are registered statically; every
 * account that logs in gets the claims in `accounts` (by login name), or `<login>@example.com`, verified, by default.
 */
export async function startTestIdp(options: { clients: IdpClient[]; accounts?: Record<string, IdpAccount> }): Promise<TestIdp> {
  const key = await generateIdpKey('idp-key-1');
  const accounts = new Map(Object.entries(options.accounts ?? {}));
  const requests: { method: string; path: string }[] = [];
  const state: { misbehave: Misbehaviour } = { misbehave: {} };

  // The proxy listens first: its address is the issuer.
  const front = createServer();
  const frontSockets = new Set<Socket>();
  front.on('connection', (s) => { frontSockets.add(s); s.once('close', () => frontSockets.delete(s)); });
  await listen(front);
  const issuer = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      ...c, grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [key.privateJwk] },
    cookies: { keys: ['a test cookie key that is long enough'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    pkce: { required: () => true },
    ttl: { Interaction: 600, Grant: 3600, Session: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx: unknown, sub: string) {
      const account = accounts.get(sub) ?? { email: `${sub}@example.com`, email_verified: true, name: `User ${sub}` };
      return { accountId: sub, async claims() { return { sub, ...account }; } };
    },
    // First-party clients: grant what they ask at once, so the dev interactions show only the login page.
    async loadExistingGrant(ctx: { oidc: { client: { clientId: string }; session: { accountId: string; grantIdFor(id: string): string | undefined }; provider: { Grant: GrantClass }; params: { scope?: string } } }) {
      const { oidc } = ctx;
      const existing = oidc.session.grantIdFor(oidc.client.clientId);
      if (existing !== undefined) {
        const found = await oidc.provider.Grant.find(existing);
        if (found) return found;
      }
      const grant = new oidc.provider.Grant({ accountId: oidc.session.accountId, clientId: oidc.client.clientId });
      grant.addOIDCScope(String(oidc.params.scope ?? 'openid'));
      grant.addOIDCClaims(['email', 'email_verified', 'name', 'groups']);
      await grant.save();
      return grant;
    },
    renderError(ctx: { type: string; body: string }, out: Record<string, unknown>) {
      ctx.type = 'json';
      ctx.body = JSON.stringify(out);
    },
  });
  // oidc-provider logs errors it handles; they are expected in these tests.
  provider.on('server_error', () => undefined);

  const back = createServer(provider.callback());
  await listen(back);
  const backPort = (back.address() as AddressInfo).port;

  front.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    requests.push({ method: req.method ?? '', path: path.split('?')[0]! });
    void forward(req, res, path);
  });

  async function forward(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const m = state.misbehave;
    if (m.down) {
      req.socket.destroy();
      return;
    }
    if (m.delayMs !== undefined && (m.delayPath === undefined || path.startsWith(m.delayPath))) await new Promise((r) => setTimeout(r, m.delayMs));
    if (res.destroyed) return;
    const route = path.split('?')[0]!;
    if (route === '/token' && m.tokenStatus !== undefined) {
      req.resume();
      res.writeHead(m.tokenStatus, { 'content-type': 'text/plain' });
      res.end('the token endpoint is failing');
      return;
    }
    const rewrite: ((body: JsonObject) => JsonObject | Promise<JsonObject>) | undefined =
      route === '/token' ? m.token
        : route === '/jwks' ? (m.jwks as ((b: JsonObject) => JsonObject) | undefined)
          : route === '/me' ? m.userinfo
            : route === '/.well-known/openid-configuration' ? m.discovery : undefined;
    const upstream = httpRequest({ host: '127.0.0.1', port: backPort, method: req.method, path, headers: req.headers }, (answer) => {
      if (rewrite === undefined || answer.statusCode !== 200) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        void (async () => {
          try {
            const body = JSON.stringify(await rewrite(JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonObject));
            const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(body)) };
            delete headers['transfer-encoding'];
            delete headers['etag'];
            res.writeHead(200, headers);
            res.end(body);
          } catch (err) {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`misbehaving layer failed: ${String(err)}`);
          }
        })();
      });
    });
    upstream.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(upstream);
  }

  return {
    issuer, port: (front.address() as AddressInfo).port, accounts, key, requests,
    get misbehave() { return state.misbehave; },
    set misbehave(value: Misbehaviour) { state.misbehave = value; },
    async resignIdToken(idToken, change, signWith = key) {
      const claims = decodeJwt(idToken);
      const header = { ...decodeProtectedHeader(idToken) } as { alg: string; kid?: string };
      header.alg = signWith.alg;
      header.kid = signWith.kid;
      change(claims, header);
      if (header.alg === 'none') {
        const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
        return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
      }
      return new SignJWT(claims).setProtectedHeader(header).sign(signWith.privateKey);
    },
    async close() {
      for (const s of frontSockets) s.destroy();
      await Promise.all([closeServer(front), closeServer(back)]);
    },
  };
}

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
type GrantClass = { find(id: string): Promise<unknown>; new (init: { accountId: string; clientId: string }): { addOIDCScope(s: string): void; addOIDCClaims(c: string[]): void; save(): Promise<string> } };

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
