// A small stand-in for GitHub's OAuth and user APIs on loopback: the only fake identity provider in the tests,
// because GitHub has no server one can run locally. It implements just what Gatehouse calls, strictly, and fails
// closed: any other request is a 599 and is recorded in `unexpected`, which the tests assert stays empty.
//   GET  /login/oauth/authorize   -> 302 back to redirect_uri with code+state (or error=access_denied)
//   POST /login/oauth/access_token -> {access_token, token_type, scope} or {error: bad_verification_code} (200, as GitHub)
//   GET  /api/user, /api/user/emails (Authorization: Bearer)
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubUser {
  id: number;
  login: string;
  name: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

export interface GitHubStandIn {
  readonly baseUrl: string;
  readonly apiUrl: string;
  /** Who "logs in" at the next authorize request. */
  nextUser: GitHubUser | 'deny';
  readonly unexpected: string[];
  close(): Promise<void>;
}

export async function startGitHubStandIn(clientId: string, clientSecret: string): Promise<GitHubStandIn> {
  const codes = new Map<string, { user: GitHubUser; redirectUri: string; challenge: string | null }>();
  const tokens = new Map<string, GitHubUser>();
  const unexpected: string[] = [];
  const state: { nextUser: GitHubUser | 'deny' } = { nextUser: { id: 1, login: 'octo', name: 'Octo Cat', emails: [] } };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
        const redirect = new URL(url.searchParams.get('redirect_uri') ?? 'http://invalid/');
        if (url.searchParams.get('client_id') !== clientId) return json(400, { error: 'unknown client' });
        redirect.searchParams.set('state', url.searchParams.get('state') ?? '');
        if (state.nextUser === 'deny') {
          redirect.searchParams.set('error', 'access_denied');
          redirect.searchParams.set('error_description', 'The user has denied your application access.');
        } else {
          const code = randomBytes(10).toString('hex');
          const challenge = url.searchParams.get('code_challenge_method') === 'S256' ? url.searchParams.get('code_challenge') : null;
          codes.set(code, { user: state.nextUser, redirectUri: url.searchParams.get('redirect_uri') ?? '', challenge });
          redirect.searchParams.set('code', code);
        }
        res.writeHead(302, { location: redirect.href });
        res.end();
        return;
      }
      if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const grant = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) return json(200, { error: 'incorrect_client_credentials' });
        const verifier = form.get('code_verifier') ?? '';
        const pkceOk = grant?.challenge === null || createHash('sha256').update(verifier).digest('base64url') === grant?.challenge;
        if (!grant || grant.redirectUri !== form.get('redirect_uri') || !pkceOk) {
          return json(200, { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
        }
        const token = `gho_${randomBytes(16).toString('hex')}`;
        tokens.set(token, grant.user);
        return json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
      }
      const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      const user = bearer === undefined ? undefined : tokens.get(bearer);
      if (req.method === 'GET' && (url.pathname === '/api/user' || url.pathname === '/api/user/emails')) {
        if (!user) return json(401, { message: 'Bad credentials' });
        if (url.pathname === '/api/user') return json(200, { id: user.id, login: user.login, name: user.name });
        return json(200, user.emails.map((e) => ({ ...e, visibility: null })));
      }
      unexpected.push(`${req.method} ${url.pathname}`);
      res.writeHead(599);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl: base, apiUrl: `${base}/api`, unexpected,
    get nextUser() { return state.nextUser; },
    set nextUser(value) { state.nextUser = value; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
