// Real ingresses for forward-auth tests: Debian's nginx (auth_request) and Caddy (forward_auth), started on loopback
// from the configurations docs/forward-auth.md gives (test/forward-auth/documented-config.test.ts keeps them equal),
// each in its own temp directory, stopped in after(). Installed by .ci/install-system-packages.sh.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningIngress {
  readonly name: string;
  readonly port: number;
  /** The configuration file as written. */
  readonly config: string;
  /** What the process printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The nginx binary, or undefined (the caller says why it skips, or fails under CI). */
export function nginxBinary(): string | undefined {
  for (const p of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) {
    try {
      execFileSync(p, ['-v'], { stdio: 'ignore' });
      return p;
    } catch { /* next */ }
  }
  return undefined;
}

/** The caddy binary, or undefined. */
export function caddyBinary(): string | undefined {
  try {
    execFileSync('caddy', ['version'], { stdio: 'ignore' });
    return 'caddy';
  } catch {
    return undefined;
  }
}

/** The `http { ... }` body's server blocks go in `servers`; paths for temp files and logs are filled in here. */
export async function startNginx(port: number, servers: string): Promise<RunningIngress> {
  const bin = nginxBinary();
  if (bin === undefined) throw new Error('nginx is not installed (.ci/install-system-packages.sh installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-'));
  mkdirSync(join(dir, 'logs'));
  const config = `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${servers}
}
`;
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, config);
  const child = spawn(bin, ['-c', file, '-p', dir, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return running('nginx', child, port, config, dir);
}

/** Runs `caddy run` on a Caddyfile, with its data and config directories in a temp directory. */
export async function startCaddy(port: number, caddyfile: string): Promise<RunningIngress> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-caddy-'));
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, caddyfile);
  const child = spawn('caddy', ['run', '--config', file, '--adapter', 'caddyfile'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
  });
  return running('caddy', child, port, caddyfile, dir);
}

async function running(name: string, child: ChildProcess, port: number, config: string, dir: string): Promise<RunningIngress> {
  let out = '';
  child.stdout?.on('data', (c: Buffer) => { out = (out + c.toString()).slice(-20_000); });
  child.stderr?.on('data', (c: Buffer) => { out = (out + c.toString()).slice(-20_000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited at start:\n${out}\n--- config ---\n${config}`);
    if (await accepts(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not listen on ${port} within 15 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name, port, config, output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
