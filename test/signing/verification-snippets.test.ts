// The verification snippets of docs/signed-identity.md (Node.js with jose, Go with go-jose, Python with PyJWT) run
// exactly as written, each as the upstream of a real Gatehouse signing with ES256 and then EdDSA keys: a caller
// Gatehouse vouches for passes with the identity it states; straight to the snippet, a missing, forged (another
// key), tampered, `alg: none`, wrong-audience and expired assertion are each refused. A runtime that is missing
// skips its snippet loudly (fails under CI=true); .ci/install-system-packages.sh installs them.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { base64url, decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { sqliteDatabase, type TestDatabase } from '../store/databases.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { send, startUpstream, type TestUpstream } from '../helpers/core-net.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const DOC = readFileSync(join(repoRoot, 'docs', 'signed-identity.md'), 'utf8');
const LIFETIME_S = 2;
/** Debian's Python has python3-jwt; a pyenv shim first on PATH may not. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** The first fenced block of `lang` after the heading `heading`. */
function snippet(heading: string, lang: string): string {
  const at = DOC.indexOf(`### ${heading}`);
  assert.ok(at >= 0, `docs/signed-identity.md has a "### ${heading}" section`);
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)\\n```').exec(DOC.slice(at));
  assert.ok(match, `a \`\`\`${lang} block under "### ${heading}"`);
  return `${match[1]!}\n`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function missing(t: TestContext, what: string): void {
  const message = `${what} (run .ci/install-system-packages.sh)`;
  if (process.env.CI === 'true') throw new Error(`${message}; CI must have it`);
  console.warn(`\n!!! SKIPPING: ${message}\n`);
  t.skip(message);
}

interface Runtime {
  readonly name: string;
  /** The command that runs the snippet, or a reason it cannot run here. */
  prepare(dir: string): { command: string; args: string[]; env?: NodeJS.ProcessEnv } | string;
}

const RUNTIMES: Runtime[] = [
  {
    name: 'Node.js',
    prepare() {
      // Under dist/ so `import 'jose'` resolves from this checkout's node_modules.
      const dir = join(repoRoot, 'dist', 'test', 'signing', 'snippets');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'verify.mjs');
      writeFileSync(file, snippet('Node.js (jose)', 'js'));
      return { command: process.execPath, args: [file] };
    },
  },
  {
    name: 'Go',
    prepare() {
      if (spawnSync('go', ['version']).status !== 0) return 'go not found (Debian: golang-go)';
      if (!existsSync('/usr/share/gocode/src/gopkg.in/square/go-jose.v2')) return 'go-jose not found (Debian: golang-gopkg-square-go-jose.v2-dev)';
      const source = snippet('Go (go-jose)', 'go');
      const cache = join(tmpdir(), 'gatehouse-snippets-go');
      const binary = join(cache, `verify-${createHash('sha256').update(source).digest('hex').slice(0, 16)}`);
      if (!existsSync(binary)) {
        const src = join(cache, 'src', 'verify');
        mkdirSync(src, { recursive: true });
        writeFileSync(join(src, 'main.go'), source);
        const built = spawnSync('go', ['build', '-o', binary, '.'], {
          cwd: src, encoding: 'utf8', timeout: 300_000,
          env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOFLAGS: '', GOCACHE: join(cache, 'gocache') },
        });
        if (built.status !== 0) throw new Error(`go build of the documented Go snippet failed:\n${built.stderr}`);
      }
      return { command: binary, args: [] };
    },
  },
  {
    name: 'Python',
    prepare(dir) {
      if (spawnSync(PYTHON, ['-c', 'import jwt, cryptography']).status !== 0) return 'PyJWT with cryptography not found (Debian: python3-jwt python3-cryptography)';
      const file = join(dir, 'verify.py');
      writeFileSync(file, snippet('Python (PyJWT)', 'python'));
      return { command: PYTHON, args: [file] };
    },
  },
];

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the snippet exited (${child.exitCode}): ${output()}`);
    try {
      await send(port, { path: '/', timeoutMs: 500 });
      return;
    } catch {
      if (Date.now() - started > 20_000) throw new Error(`the snippet did not listen on ${port}: ${output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

for (const algorithm of ['ES256', 'EdDSA'] as const) {
  describe(`docs/signed-identity.md snippets verify ${algorithm} assertions`, () => {
    let db: TestDatabase;
    let capture: TestUpstream;
    let gh: FullGatehouse;
    let token: string;
    let userId: string;
    const ports = new Map<string, number>();
    const children: ChildProcess[] = [];
    const dir = join(tmpdir(), `gatehouse-snippets-${process.pid}-${algorithm}`);

    before(async () => {
      mkdirSync(dir, { recursive: true });
      db = sqliteDatabase();
      capture = await startUpstream('capture');
      for (const r of RUNTIMES) ports.set(r.name, await freePort());
      const upstreams: Record<string, string> = { capture: capture.url };
      const routes: unknown[] = [];
      RUNTIMES.forEach((r, i) => {
        const url = `http://127.0.0.1:${ports.get(r.name)}`;
        upstreams[`snippet${i}`] = url;
        routes.push({ name: `snippet${i}`, match: { path: `/snippet${i}/` }, policy: 'authenticated', upstream: `snippet${i}`, signed_identity: true });
        // The same audience, delivered to a recorder: assertions to replay at the snippet straight.
        routes.push({ name: `capture${i}`, match: { path: `/capture${i}/` }, policy: 'authenticated', upstream: 'capture', signed_identity: { audience: url } });
      });
      routes.push({ name: 'elsewhere', match: { path: '/elsewhere/' }, policy: 'authenticated', upstream: 'capture', signed_identity: { audience: 'urn:example:elsewhere' } });
      gh = await startFullGatehouse(db, upstreams, routes, {
        signed_identity: { lifetime: `${LIFETIME_S}s`, algorithm, keys: { overlap: '2m' } },
        accounts: { encryption_key: 'snippet test encryption key of thirty-two characters' },
      });
      const user = await gh.store.users.create({ email: 'snippets@example.test', roles: ['dev', 'ops'] });
      userId = user.id;
      token = (await gh.auth.sessions.create(user, { amr: ['pwd'] })).token;
    });
    after(async () => {
      for (const c of children) c.kill('SIGKILL');
      await gh?.stop();
      await capture?.close();
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    RUNTIMES.forEach((runtime, i) => {
      test(`${runtime.name}: Gatehouse's assertion passes; missing, forged, tampered, alg none, wrong audience and expired ones are refused`, { timeout: 360_000 }, async (t) => {
        const prepared = runtime.prepare(dir);
        if (typeof prepared === 'string') return missing(t, prepared);
        const port = ports.get(runtime.name)!;
        const child = spawn(prepared.command, prepared.args, {
          env: {
            ...process.env, PORT: String(port), GATEHOUSE_JWKS_URL: `${gh.base}/.gatehouse/jwks.json`,
            GATEHOUSE_ISSUER: 'http://127.0.0.1', GATEHOUSE_AUDIENCE: `http://127.0.0.1:${port}`,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        children.push(child);
        let output = '';
        child.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
        child.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
        await waitForPort(port, child, () => output);

        const through = await send(gh.port, { path: `/snippet${i}/x`, headers: { authorization: `Bearer ${token}` } });
        assert.equal(through.status, 200, `through Gatehouse: ${through.body} ${output}`);
        const who = JSON.parse(through.body) as { sub: string; roles: string[] };
        assert.equal(who.sub, userId);
        assert.deepEqual(who.roles, ['dev', 'ops']);

        const direct = async (assertion: string | undefined): Promise<number> =>
          (await send(port, { path: '/direct', headers: assertion === undefined ? {} : { 'x-gatehouse-assertion': assertion } })).status;
        const captured = async (path: string): Promise<string> => {
          const res = await send(gh.port, { path, headers: { authorization: `Bearer ${token}` } });
          assert.equal(res.status, 200);
          return capture.requests.at(-1)!.headers['x-gatehouse-assertion'] as string;
        };
        const good = await captured(`/capture${i}/x`);
        assert.equal(decodeProtectedHeader(good).alg, algorithm);
        assert.equal(await direct(good), 200, 'the same assertion, presented straight, passes');
        const claims = decodeJwt(good);
        const [head, body, signature] = good.split('.') as [string, string, string];
        const stranger = await generateKeyPair(algorithm);
        const rows: [what: string, assertion: string | undefined][] = [
          ['no assertion', undefined],
          ['signed by another key under our kid', await new SignJWT(claims).setProtectedHeader({ alg: algorithm, kid: decodeProtectedHeader(good).kid! }).sign(stranger.privateKey)],
          ['a tampered claim', `${head}.${base64url.encode(JSON.stringify({ ...claims, roles: ['admin'] }))}.${signature}`],
          ['alg none', `${base64url.encode(JSON.stringify({ alg: 'none', kid: decodeProtectedHeader(good).kid }))}.${body}.`],
          ['another audience', await captured('/elsewhere/x')],
        ];
        for (const [what, assertion] of rows) assert.equal(await direct(assertion), 401, what);
        // The assertion is reused for half its lifetime: wait until the captured one has expired.
        await new Promise((r) => setTimeout(r, (claims.exp! + 1) * 1000 - Date.now()));
        assert.equal(await direct(good), 401, 'expired');
        child.kill('SIGKILL');
      });
    });
  });
}
