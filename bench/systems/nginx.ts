// System 2: nginx as a plain reverse proxy (Debian's package, its default worker count), keep-alive to the
// upstream. When nginx is not installed the harness says so and goes on without it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { childPids, freePort, startChild } from '../lib/processes.js';
import type { RunningSystem, SystemDefinition } from './system.js';

const CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'];

/** The nginx binary, or undefined. */
export function nginxPath(): string | undefined {
  for (const p of CANDIDATES) {
    try {
      execFileSync(p, ['-v'], { stdio: 'ignore' });
      return p;
    } catch { /* next */ }
  }
  return undefined;
}

/** `nginx -v` output, or undefined when absent. */
export function nginxVersion(): string | undefined {
  const p = nginxPath();
  if (!p) return undefined;
  try {
    return execFileSync(p, ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim() || undefined;
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? '').trim().replace(/^nginx version: /, '') || undefined;
  }
}

export const nginx: SystemDefinition = {
  name: 'nginx', label: 'nginx reverse proxy (no auth)',
  unavailable: () => (nginxPath() === undefined ? 'nginx is not installed (apt-get install -y nginx); skipped' : undefined),
  async start(ctx): Promise<RunningSystem> {
    const bin = nginxPath()!;
    const dir = join(ctx.tmpDir, 'nginx');
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const port = await freePort();
    const upstream = new URL(ctx.upstreamUrl);
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, `
worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app { server ${upstream.host}; keepalive 256; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 100000;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`);
    const child = startChild('nginx', bin, ['-c', conf, '-p', dir, '-g', 'daemon off;']);
    const origin = `http://127.0.0.1:${port}`;
    const deadline = performance.now() + 10_000;
    for (;;) {
      try {
        const res = await request(origin, { headersTimeout: 1000 });
        await res.body.dump();
        break;
      } catch (err) {
        if (performance.now() > deadline || child.proc.exitCode !== null) throw new Error(`nginx did not start: ${String(err)}\n${child.lines.join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return {
      name: this.name, label: this.label, origin, authenticates: false,
      pids: () => [child.pid, ...childPids(child.pid)], login: async () => ({}), stop: () => child.stop(),
    };
  },
};
