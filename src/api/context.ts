import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccountAdmin } from '../auth/account-admin.js';
import type { GatehouseConfig } from '../config/index.js';
import type { DomainEventBus } from '../events/domain-events.js';
import type { CookieOptions } from '../sessions/cookie.js';
import type { SessionService } from '../sessions/session-service.js';
import type { Logger } from '../log/logger.js';
import type { EndpointContext } from '../http/endpoint-router.js';
import type { Store, User } from '../store/store.js';
import type { WebhooksConfig } from '../actors/config-schema.js';
import type { HttpMethod } from './router.js';
import type { JsonObject } from './validate.js';

/** What every API handler shares, built once by installApi. */
export interface ApiDeps {
  readonly store: Store;
  readonly config: GatehouseConfig;
  readonly webhooks: WebhooksConfig;
  readonly logger: Logger;
  /** Committed changes are published here (api/commit-change.ts): audit, cache eviction and the deliverer react. */
  readonly events: DomainEventBus;
  /** Role changes, disables and "log out everywhere", which reach cached sessions at once. */
  readonly accounts: AccountAdmin;
  /** For ending one session of the caller's. */
  readonly sessions: Pick<SessionService, 'revoke'>;
  /** The session cookie, cleared when the caller ends their own session. */
  readonly cookie: { readonly name: string; readonly options: CookieOptions };
}

/** The signed-in caller, re-read from the store on every API request (roles and the disabled flag are fresh). */
export interface Caller {
  readonly user: User;
  readonly sessionId: string | undefined;
  readonly platformOwner: boolean;
}

/** One API request as a handler sees it. */
export interface ApiCall {
  readonly deps: ApiDeps;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly ctx: EndpointContext;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Present on every route but the public ones (the dispatcher answers 401 first). */
  readonly caller: Caller;
  /** Reads the JSON body (empty means `{}`), refusing keys not in `allowed`. Call it after the authorization checks. */
  body(allowed: readonly string[]): Promise<JsonObject>;
  /** Records an audit event by the caller. */
  audit(action: string, event: { org?: string | null; target?: string | null; data?: unknown }): void;
}

/** What a handler answers; the dispatcher writes it. */
export interface ApiResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One API endpoint: where, who may call it at all, and what it does. */
export interface ApiEndpoint {
  readonly method: HttpMethod;
  readonly pattern: string;
  /** `public` needs no session; `signed_in` answers 401 without one (finer checks are the handler's). */
  readonly auth: 'public' | 'signed_in';
  readonly run: (call: ApiCall) => Promise<ApiResult>;
}

/** The platform role that approves organizations and administers users. */
export const PLATFORM_OWNER = 'platform_owner';
