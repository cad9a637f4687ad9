// System: nginx in front of the upstream with `auth_request` to Gatehouse's forward-auth endpoint
// (docs/forward-auth.md's configuration): every request costs nginx a subrequest to Gatehouse, which checks the
// session (a cache hit) and answers 200 with the identity headers, no body; nginx then proxies to the upstream.
// Gatehouse runs as `serve` exactly as the proxy scenario starts it, trusting only 127.0.0.1.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { childPids, freePort, startChild } from '../lib/processes.js';
import { gatehouse, type RunningGatehouse } from './gatehouse.js';
import { nginxPath } from './nginx.js';
import type { RunningSystem, SystemDefinition } from './system.js';

const IDENTITY = ['X-Auth-User-Id', 'X-Auth-Email', 'X-Auth-Name', 'X-Auth-Roles', 'X-Auth-Orgs', 'X-Auth-Email-Verified', 'X-Auth-Amr'];
const variable = (h: string): string => h.toLowerCase().replace(/-/g, '_');

export interface RunningForwardAuth extends RunningSystem {
  /** Gatehouse's process alone (its CPU per request is the scenario's point). */
  gatehousePids(): number[];
  nginxPids(): number[];
}

export const nginxForwardAuth: SystemDefinition = {
  name: 'nginx-forward-auth', label: 'nginx + auth_request to Gatehouse (forward-auth)',
  unavailable: () => (nginxPath() === undefined ? 'nginx is not installed (apt-get install -y nginx); skipped' : undefined),
  async start(ctx): Promise<RunningForwardAuth> {
    const gh = await gatehouse({ config: { server: { listen: '127.0.0.1:0', public_url: 'http://127.0.0.1', drain_delay: '0s', grace_period: '2s', trusted_proxies: ['127.0.0.1'] } } }).start(ctx) as RunningGatehouse;
    try {
      const dir = join(ctx.tmpDir, 'nginx-forward-auth');
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
  upstream gatehouse { server ${new URL(gh.origin).host}; keepalive 256; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 100000;
    location ^~ /.gatehouse/authz {
      internal;
      proxy_pass http://gatehouse;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
      proxy_set_header X-Original-Method $request_method;
    }
    location / {
      auth_request /.gatehouse/authz/nginx;
${IDENTITY.map((h) => `      auth_request_set $gh_${variable(h)} $upstream_http_${variable(h)};\n      proxy_set_header ${h} $gh_${variable(h)};`).join('\n')}
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`);
      const child = startChild('nginx-forward-auth', nginxPath()!, ['-c', conf, '-p', dir, '-g', 'daemon off;']);
      const origin = `http://127.0.0.1:${port}`;
      const deadline = performance.now() + 10_000;
      for (;;) {
        try {
          const res = await request(origin, { headersTimeout: 1000 });
          await res.body.dump();
          if (res.statusCode === 401) break; // nginx is up and asked Gatehouse: no session, 401
          throw new Error(`expected 401 without a session, got ${res.statusCode}`);
        } catch (err) {
          if (performance.now() > deadline || child.proc.exitCode !== null) throw new Error(`nginx did not start: ${String(err)}\n${child.lines.join('\n')}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      const nginxPids = (): number[] => [child.pid, ...childPids(child.pid)];
      return {
        name: this.name, label: this.label, origin, authenticates: true,
        pids: () => [...nginxPids(), ...gh.pids()],
        gatehousePids: () => gh.pids(),
        nginxPids,
        // Sessions come from Gatehouse's login; the cookie then travels through nginx to the auth subrequest.
        login: (u) => gh.login(u),
        metricsUrl: gh.metricsUrl,
        async stop() {
          await child.stop();
          await gh.stop();
        },
      };
    } catch (err) {
      await gh.stop();
      throw err;
    }
  },
};
