import type { Authenticate } from '../pipeline/3-authenticate/authenticate.js';
import type { EndpointRouter } from '../http/endpoint-router.js';
import type { AuthDeps } from './auth-deps.js';
import { loginPageEndpoint } from './local/login-page.js';
import { loginEndpoint } from './local/login-endpoint.js';
import { logoutEndpoint, logoutPageEndpoint } from './local/logout-endpoint.js';
import { registerEndpoint } from './local/register-endpoint.js';
import { meEndpoint } from './local/me-endpoint.js';

/** The login page's path; unauthenticated browsers are sent here unless a default OAuth provider is configured. */
export const LOGIN_PATH = '/.gatehouse/login';

/**
 * Registers the local account endpoints: the login page and form, registration, logout (page and form) and
 * `/.gatehouse/me`, which answers through the same authenticate stage the ingress runs.
 */
export function installLocalLogin(endpoints: EndpointRouter, deps: AuthDeps, authenticate: Authenticate): void {
  endpoints
    .add('GET', LOGIN_PATH, loginPageEndpoint(deps))
    .add('POST', LOGIN_PATH, loginEndpoint(deps))
    .add('POST', '/.gatehouse/register', registerEndpoint(deps))
    .add('GET', '/.gatehouse/logout', logoutPageEndpoint(deps))
    .add('POST', '/.gatehouse/logout', logoutEndpoint(deps))
    .add('GET', '/.gatehouse/me', meEndpoint(async (req) => authenticate(req.headers)));
}
