// The nginx and Caddy configurations the forward-auth tests run: the ones docs/forward-auth.md gives, with the
// test's ports and host names filled in.

/** The identity headers Gatehouse answers with (default prefix), in the order it sends them. */
export const IDENTITY_HEADERS = ['X-Auth-User-Id', 'X-Auth-Email', 'X-Auth-Name', 'X-Auth-Roles', 'X-Auth-Orgs', 'X-Auth-Email-Verified', 'X-Auth-Amr'] as const;

/** nginx's variable for a response header of the auth subrequest ($upstream_http_x_auth_user_id). */
function variable(header: string): string {
  return header.toLowerCase().replace(/-/g, '_');
}

/**
 * nginx with auth_request: Gatehouse's pages (/.gatehouse/) are proxied on the protected host; the auth subrequest
 * and the sign-in start are internal locations; every identity header is set from the subrequest's answer, which
 * replaces (or, when Gatehouse sent none, removes) any copy the client sent.
 */
export function nginxServer(options: { listen: number; serverName: string; gatehouse: string; app: string }): string {
  const { listen, serverName, gatehouse, app } = options;
  return `  upstream gatehouse { server ${gatehouse}; keepalive 32; }
  upstream app { server ${app}; keepalive 32; }
  server {
    listen 127.0.0.1:${listen};
    server_name ${serverName};

    # Gatehouse's own pages (login, logout, account) on this host.
    location /.gatehouse/ {
      proxy_pass http://gatehouse;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }

    # The auth subrequest and the sign-in start: internal only, so no client can describe a request itself.
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
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }

    location / {
      auth_request /.gatehouse/authz/nginx;
      error_page 401 = /.gatehouse/authz/start;
${IDENTITY_HEADERS.map((h) => `      auth_request_set $gh_${variable(h)} $upstream_http_${variable(h)};`).join('\n')}
${IDENTITY_HEADERS.map((h) => `      proxy_set_header ${h} $gh_${variable(h)};`).join('\n')}
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }`;
}

/**
 * Caddy with forward_auth, Gatehouse on its own host: client copies of X-Auth-* (any case, with "-" or "_") are
 * deleted first, inside one `route` so the order is the order written (Caddy's default directive order would run
 * request_header after forward_auth and delete the answers too).
 */
export function caddyfile(options: { listen: number; siteHost: string; gatehouse: string; app: string }): string {
  const { listen, siteHost, gatehouse, app } = options;
  // siteHost '' serves any Host (the path corpus sends one Gatehouse host for every entry).
  return `{
  admin off
  auto_https off
}

http://${siteHost}:${listen} {
  bind 127.0.0.1
  route {
    request_header -X-Auth-*
    request_header -X_Auth_*
    forward_auth ${gatehouse} {
      uri /.gatehouse/authz/caddy
      copy_headers ${IDENTITY_HEADERS.join(' ')}
    }
    reverse_proxy ${app}
  }
}
`;
}
