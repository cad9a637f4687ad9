// The commands the docs tell people to run, run. Every shell block of README.md, docs/*.md and the chart README
// (and every `$ command` of an unlabelled block) is extracted and must have an entry in PLAYBOOK below: run here
// (against a real Gatehouse on free ports, with the host names and ports of the docs swapped for local ones), run
// by another test (named), or not runnable here (and why: no cluster, no registry). A new command in the docs
// without an entry fails this test, so a doc cannot drift from what Gatehouse does without someone deciding.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { GATEHOUSE_BIN, runCli, tempDir } from '../helpers/core-cli.js';
import { closedPort, eventually, send, startUpstream, type TestUpstream } from '../helpers/core-net.js';
import { renderChart, requireTool, repoRoot } from '../chart/chart-tools.js';
import { startServe, type ServeProcess } from '../helpers/core-cli.js';

// ---- extraction ----

/** One command as the docs show it (backslash continuations joined), with the block it came from. */
interface DocCommand {
  file: string;
  line: number;
  text: string;
  /** The whole block, for scripts run as one. */
  block: string;
  /** For `$ command` blocks: the output lines the docs show after it. */
  output: string[];
}

const DOC_FILES = ['README.md', ...readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'charts/gatehouse/README.md'];
const SHELL = new Set(['sh', 'bash', 'shell', 'console']);

function extract(): DocCommand[] {
  const out: DocCommand[] = [];
  for (const file of DOC_FILES) {
    const lines = readFileSync(join(repoRoot, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const fence = /^```(\S*)\s*$/.exec(lines[i]!);
      if (!fence) continue;
      const lang = fence[1]!;
      const start = i + 1;
      let end = start;
      while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
      const body = lines.slice(start, end);
      const block = body.join('\n');
      if (SHELL.has(lang)) {
        for (let j = 0; j < body.length; j++) {
          let text = body[j]!;
          const at = start + j + 1;
          while (text.endsWith('\\') && j + 1 < body.length) text = `${text.slice(0, -1).trimEnd()} ${body[++j]!.trim()}`;
          if (text.trim() === '' || text.trim().startsWith('#')) continue;
          out.push({ file, line: at, text: text.trim(), block, output: [] });
        }
      } else if (lang === '') {
        // An unlabelled block with `$ ` prompts shows a command and what it prints.
        for (let j = 0; j < body.length; j++) {
          if (!body[j]!.startsWith('$ ')) continue;
          const output: string[] = [];
          for (let k = j + 1; k < body.length && !body[k]!.startsWith('$ '); k++) output.push(body[k]!);
          out.push({ file, line: start + j + 1, text: body[j]!.slice(2).trim(), block, output });
        }
      }
      i = end;
    }
  }
  return out;
}

// ---- the playbook ----

type How =
  | { run: string }            // a test below, by name
  | { elsewhere: string }      // another test file runs it
  | { cannot: string };        // not runnable on this machine, and why

interface Entry {
  file: string;
  /** Matches the command's text; a `script` entry takes every command of the block the first one is in. */
  command: RegExp;
  script?: boolean;
  how: How;
}

const NO_CLUSTER = 'needs a Kubernetes cluster (none here); the manifests it acts on are rendered and checked by test/chart/';
const PLAYBOOK: Entry[] = [
  { file: 'README.md', command: /^npm ci && npm start\b/, how: { run: 'README: npm start serves the demo as described (gatehouse demo on free ports; npm ci needs the registry)' } },
  { file: 'README.md', command: /^npm ci && npm test\b/, how: { cannot: 'npm test is this suite; npm ci needs the npm registry' } },
  { file: 'README.md', command: /^npx gatehouse check-config --config broken\.yaml$/, how: { run: 'README: check-config prints what the README shows' } },
  { file: 'docs/api.md', command: /^GH=http:\/\/localhost:4180$/, script: true, how: { run: 'docs/api.md: the curl walkthrough, from sign-up to a delivered webhook' } },
  { file: 'docs/benchmarks.md', command: /^npm run bench -- --quick\b/, how: { elsewhere: 'test/bench/quick.test.ts' } },
  { file: 'docs/benchmarks.md', command: /^npm run bench(?! -- --quick)\b/, how: { cannot: 'full benchmark runs belong on a quiet machine (the lead runs them)' } },
  { file: 'docs/kubernetes.md', command: /^docker (build|push)\b/, how: { cannot: 'no container runtime or registry here; test/chart/image-build.test.ts builds the image tree with scripts/build-image.sh' } },
  { file: 'docs/kubernetes.md', command: /^kubectl (create namespace|-n shop create secret|-n shop rollout status|-n shop get pods|-n shop logs)\b/, how: { cannot: NO_CLUSTER } },
  { file: 'docs/kubernetes.md', command: /^helm install orders \.\/charts\/gatehouse -n shop -f values-orders\.yaml$/, how: { run: 'docs/kubernetes.md: values-orders.yaml renders, and Gatehouse accepts the config it renders' } },
  { file: 'docs/kubernetes.md', command: /^curl .*https:\/\/orders\.example\.com\//, how: { run: 'docs/kubernetes.md: the curl checks answer what their comments say' } },
  { file: 'charts/gatehouse/README.md', command: /^helm install orders \.\/charts\/gatehouse -n shop --set /, how: { run: 'chart README: the quick-start --set values render' } },
];

function entryFor(c: DocCommand): Entry[] {
  return PLAYBOOK.filter((e) => e.file === c.file && e.command.test(c.text));
}

const commands = extract();

test('every documented command has exactly one entry in the playbook, and every entry is used', () => {
  assert.ok(commands.length >= 20, `found ${commands.length} commands`);
  const used = new Set<Entry>();
  const scripts = new Set<string>();
  for (const c of commands) {
    if (scripts.has(`${c.file}\u0000${c.block}`)) continue;
    const entries = entryFor(c);
    assert.equal(entries.length, 1, `${c.file}:${c.line}: ${entries.length === 0 ? 'no entry' : 'several entries'} for \`${c.text}\` (add one to PLAYBOOK in test/docs/documented-commands.test.ts)`);
    used.add(entries[0]!);
    if (entries[0]!.script) scripts.add(`${c.file}\u0000${c.block}`);
  }
  for (const e of PLAYBOOK) assert.ok(used.has(e), `the entry for ${e.file} ${e.command} matches no command any more`);
  const notRun = PLAYBOOK.filter((e) => 'cannot' in e.how);
  // Printed so a reader of the test output sees what the docs claim that this machine cannot check.
  for (const e of notRun) console.log(`not run here: ${e.file} ${e.command.source} (${(e.how as { cannot: string }).cannot})`);
});

function commandsOf(entryName: string): DocCommand[] {
  const entry = PLAYBOOK.find((e) => 'run' in e.how && e.how.run === entryName)!;
  return commands.filter((c) => entryFor(c)[0] === entry);
}

// ---- shared fixtures ----

const tmp = tempDir('gatehouse-docs-');
after(() => tmp.cleanup());

/** Runs a bash script without blocking this process (its servers must keep answering the script's requests). */
function bash(script: string, options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn('bash', ['-c', script], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve) => child.on('close', (status) => {
    clearTimeout(timer);
    resolve({ status, stdout, stderr });
  }));
}

/** A directory with a `gatehouse` executable on PATH, as an installed Gatehouse would be. */
function gatehouseOnPath(): string {
  const bin = join(tmp.dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'gatehouse'), `#!/bin/sh\nexec "${process.execPath}" "${GATEHOUSE_BIN}" "$@"\n`);
  chmodSync(join(bin, 'gatehouse'), 0o755);
  writeFileSync(join(bin, 'npx'), `#!/bin/sh\n[ "$1" = gatehouse ] && shift\nexec "${process.execPath}" "${GATEHOUSE_BIN}" "$@"\n`);
  chmodSync(join(bin, 'npx'), 0o755);
  return bin;
}

// ---- README ----

describe('README', () => {
  test('README: npm start serves the demo as described (gatehouse demo on free ports; npm ci needs the registry)', { timeout: 90_000 }, async () => {
    const [cmd] = commandsOf('README: npm start serves the demo as described (gatehouse demo on free ports; npm ci needs the registry)');
    assert.ok(cmd);
    const scripts = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts as Record<string, string>;
    assert.equal(scripts['start'], 'node bin/gatehouse.js demo', '`npm start` is `gatehouse demo` with the checkout\'s config');
    // The checkout's config with free ports and a private data directory (4180/4181/4190 are shared by every run).
    const config = parse(readFileSync(join(repoRoot, 'config', 'gatehouse.yaml'), 'utf8')) as Record<string, any>;
    const [ingress, admin, demo] = [await closedPort(), await closedPort(), await closedPort()];
    config['server'] = { ...config['server'], listen: `127.0.0.1:${ingress}`, public_url: `http://localhost:${ingress}` };
    config['admin'] = { listen: `127.0.0.1:${admin}` };
    config['upstreams']['demo'].url = `http://127.0.0.1:${demo}`;
    config['storage'] = { ...config['storage'], sqlite: { path: join(tmp.dir, 'demo-data', 'gatehouse.db') } };
    const file = join(tmp.dir, 'demo.yaml');
    writeFileSync(file, stringify(config));
    const child = spawn(process.execPath, [GATEHOUSE_BIN, 'demo', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.stdout.resume();
    try {
      const signIn = await eventually(60_000, 'the demo to print its account', () => /sign in as:\s+(\S+) \/ (\S+)/.exec(stderr));
      assert.equal(signIn[1], 'demo@example.com', 'the README names this account');
      assert.equal((await send(ingress, { path: '/' })).status, 200, 'a public page at /');
      const browser = await send(ingress, { path: '/private/', headers: { accept: 'text/html' } });
      assert.equal(browser.status, 302, 'the protected page sends a browser to the login page');
      assert.match(String(browser.headers.location), /\/\.gatehouse\/login\?rd=/);
      const login = await send(ingress, {
        method: 'POST', path: '/.gatehouse/login', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: signIn[1], password: signIn[2] }),
      });
      assert.equal(login.status, 200, `the printed password signs in: ${login.body}`);
      const token = JSON.parse(login.body).token as string;
      const page = await send(ingress, { path: '/private/', headers: { authorization: `Bearer ${token}` } });
      assert.equal(page.status, 200);
      assert.match(page.body, /X-Auth-Email|demo@example\.com/i, 'the demo app shows the identity headers');
      assert.equal((await send(admin, { path: '/metrics' })).status, 200, 'metrics on the admin port');
      assert.match(stderr, new RegExp(`metrics:\\s+http://127\\.0\\.0\\.1:${admin}/metrics`));
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('README: check-config prints what the README shows', async () => {
    const [cmd] = commandsOf('README: check-config prints what the README shows');
    assert.ok(cmd && cmd.output.length >= 2);
    // A file with the two mistakes the README shows, on the lines it names.
    const dir = join(tmp.dir, 'check');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'broken.yaml'), [
      'server:', '  listen: "0.0.0.0:4180"', '  bogus: true', 'upstreams:', '  app: { url: "http://127.0.0.1:8080" }',
      '  admin: { url: "http://127.0.0.1:8081" }', 'routes:', '  - name: assets', '    match: { path: "/public/" }', '    policy: public',
      '    upstream: app', '  - name: admin', '    match: { path: "/admin/" }', '    policy: { roles: [admin] }', '    upstream: admin',
      '  - name: api', '    upstream: api', '    match: { path: "/api/" }', '    policy: authenticated', '',
    ].join('\n'));
    const r = await bash(cmd.text, { cwd: dir, env: { PATH: `${gatehouseOnPath()}:${process.env.PATH}` } });
    assert.equal(r.status, 1, 'exit 1 for an invalid file');
    assert.deepEqual((r.stdout + r.stderr).trim().split('\n'), cmd.output, 'the output is what the README shows, line for line');
  });
});

// ---- docs/api.md ----

describe('docs/api.md', () => {
  let gh: ServeProcess | undefined;
  const dir = join(tmp.dir, 'api');
  before(async () => {
    mkdirSync(join(dir, 'config'), { recursive: true });
    // The walkthrough's `gatehouse user add` runs without --config: the default config/gatehouse.yaml of its cwd.
    writeFileSync(join(dir, 'config', 'gatehouse.yaml'), stringify({
      server: { listen: '127.0.0.1:0', public_url: 'http://localhost:4180', drain_delay: '0s' },
      admin: { listen: '127.0.0.1:0' },
      reload: { watch: false },
      upstreams: { app: { url: `http://127.0.0.1:${await closedPort()}` } },
      routes: [{ name: 'all', match: { path: '/' }, policy: 'authenticated', upstream: 'app' }],
      storage: { driver: 'sqlite', sqlite: { path: join(dir, 'data', 'gatehouse.db') } },
      auth: { local: { registration: 'open' } },
      // The docs' receiver is public; the test's is on loopback.
      webhooks: { allow_private_targets: true },
    }));
    gh = await startServe(join(dir, 'config', 'gatehouse.yaml'), 60_000);
  });
  after(async () => {
    gh?.child.kill('SIGTERM');
    await gh?.exited(20_000).catch(() => gh?.kill());
  });

  test('docs/api.md: the curl walkthrough, from sign-up to a delivered webhook', { timeout: 120_000 }, async () => {
    const [first] = commandsOf('docs/api.md: the curl walkthrough, from sign-up to a delivered webhook');
    assert.ok(first);
    // The receiver is the docs' own verification snippet (verify-gatehouse.mjs), started with the secret step 4
    // prints.
    const doc = readFileSync(join(repoRoot, 'docs', 'api.md'), 'utf8');
    const snippet = /```js\n(\/\/ verify-gatehouse\.mjs[\s\S]*?)\n```/.exec(doc)?.[1];
    assert.ok(snippet, 'docs/api.md has the verify-gatehouse.mjs snippet');
    writeFileSync(join(dir, 'verify-gatehouse.mjs'), snippet);
    if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
    const snippetPort = await closedPort();
    const script = first.block
      .replace('GH=http://localhost:4180', `GH=http://127.0.0.1:${gh!.port}`)
      .replace('https://hooks.example.com/gatehouse', `http://127.0.0.1:${snippetPort}/gatehouse`)
      .replace('# 5. Bob signs up', `GATEHOUSE_WEBHOOK_SECRET=$(echo "$HOOK" | jq -r .secret) PORT=${snippetPort} node verify-gatehouse.mjs > receiver.log 2>&1 &\nRECEIVER=$!\ntrap 'kill $RECEIVER' EXIT\nfor i in $(seq 1 100); do curl -s -o /dev/null 127.0.0.1:${snippetPort} && break; sleep 0.1; done\n# 5. Bob signs up`);
    // Step 6 reads the delivery log: give the deliverer (which the change woke) a moment before that step.
    const paced = script.replace('# 6. The receiver printed', 'for i in $(seq 1 600); do grep -q member.added receiver.log && break; sleep 0.1; done\n# 6. The receiver printed');
    const r = await bash(`set -euo pipefail\n${paced}`, {
      cwd: dir, env: { PATH: `${gatehouseOnPath()}:${process.env.PATH}`, DELIVERED: join(dir, 'delivered') }, timeoutMs: 100_000,
    });
    assert.equal(r.status, 0, `the walkthrough ran to its end:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^"approved"$/m, 'step 3 prints "approved"');
    assert.match(r.stdout, /^whsec_\S+$/m, 'step 4 prints the secret once');
    const log = readFileSync(join(dir, 'receiver.log'), 'utf8');
    assert.match(log, /^member\.added /m, `the docs' receiver verified the delivery and printed it: ${log}`);
    assert.doesNotMatch(log, /bad signature/);
    assert.match(r.stdout, /"event": "member.added",\s+"status": "delivered",\s+"attempts": 1/, 'step 6 shows the delivered attempt');
    assert.match(r.stdout, /"sessions_ended": \d+/, 'step 7 ends the other sessions');
  });
});

// ---- docs/kubernetes.md and the chart README ----

describe('docs/kubernetes.md', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'kubernetes.md'), 'utf8');
  const valuesYaml = /`values-orders\.yaml`:\s*\n+```yaml\n([\s\S]*?)\n```/.exec(doc)?.[1];
  let rendered: Record<string, any> | undefined;

  const renderOrders = (t: TestContext): Record<string, any> | undefined => {
    assert.ok(valuesYaml, 'docs/kubernetes.md shows values-orders.yaml');
    const r = renderChart(t, [parse(valuesYaml) as Record<string, unknown>], { release: 'orders', namespace: 'shop' });
    if (!r) return undefined;
    assert.ok(r.ok, `values-orders.yaml renders:\n${r.stderr}`);
    return parse(r.get('ConfigMap', 'orders-gatehouse').data['gatehouse.yaml']) as Record<string, any>;
  };

  test('docs/kubernetes.md: values-orders.yaml renders, and Gatehouse accepts the config it renders', async (t) => {
    assert.equal(commandsOf('docs/kubernetes.md: values-orders.yaml renders, and Gatehouse accepts the config it renders').length, 1);
    rendered = renderOrders(t);
    if (!rendered) return;
    const file = join(tmp.dir, 'orders.yaml');
    writeFileSync(file, stringify(rendered));
    const r = await runCli(['check-config', '--config', file], { env: { GATEHOUSE_OIDC_CLIENT_SECRET: 'x' }, timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  describe('the curl checks', () => {
    let upstream: TestUpstream;
    let gh: ServeProcess | undefined;
    after(async () => {
      gh?.child.kill('SIGTERM');
      await gh?.exited(20_000).catch(() => gh?.kill());
      await upstream?.close();
    });

    test('docs/kubernetes.md: the curl checks answer what their comments say', { timeout: 120_000 }, async (t) => {
      if (!requireTool(t, 'curl')) return;
      const config = rendered ?? renderOrders(t);
      if (!config) return;
      // The rendered config, with local listeners, a local SQLite file and a stand-in for the app.
      upstream = await startUpstream('orders-app');
      const local = {
        ...config,
        server: { ...config['server'], listen: '127.0.0.1:0', drain_delay: '0s' },
        admin: { listen: '127.0.0.1:0' },
        upstreams: { app: { url: upstream.url } },
        storage: { driver: 'sqlite', sqlite: { path: join(tmp.dir, 'orders-data', 'gatehouse.db') } },
      };
      const file = join(tmp.dir, 'orders-local.yaml');
      writeFileSync(file, stringify(local));
      gh = await startServe(file, 60_000);
      const curls = commandsOf('docs/kubernetes.md: the curl checks answer what their comments say');
      assert.equal(curls.length, 3);
      for (const c of curls) {
        const [command, comment = ''] = c.text.split(/\s+#\s+/);
        const claimed = /^(\d{3})\b/.exec(comment)?.[1];
        assert.ok(claimed, `${c.file}:${c.line}: the comment states the status: "${comment}"`);
        const localCommand: string = command!.replace('curl ', `curl --resolve orders.example.com:${gh.port}:127.0.0.1 `)
          .replaceAll('https://orders.example.com', `http://orders.example.com:${gh.port}`);
        const r = await bash(localCommand);
        assert.equal(r.status, 0, `${localCommand}: ${r.stderr}`);
        const status = /^HTTP\/[\d.]+ (\d{3})/.exec(r.stdout)?.[1] ?? r.stdout.trim();
        assert.equal(status, claimed, `${c.file}:${c.line}: \`${command}\` answers ${status}, the docs say ${claimed}`);
      }
    });
  });
});

describe('charts/gatehouse/README.md', () => {
  test('chart README: the quick-start --set values render', (t) => {
    const [cmd] = commandsOf('chart README: the quick-start --set values render');
    assert.ok(cmd);
    const values: Record<string, any> = {};
    for (const m of cmd.text.matchAll(/--set ([\w.]+)=(\S+)/g)) {
      const path = m[1]!.split('.');
      let node = values;
      for (const key of path.slice(0, -1)) node = (node[key] ??= {});
      node[path.at(-1)!] = /^\d+$/.test(m[2]!) ? Number(m[2]) : m[2];
    }
    assert.ok(Object.keys(values).length > 0);
    const r = renderChart(t, [values], { release: 'orders', namespace: 'shop' });
    if (!r) return;
    assert.ok(r.ok, r.stderr);
    assert.ok(r.get('Deployment'));
  });
});
