import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthRuntime } from '../auth/install-auth.js';
import type { GatehouseConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { EndpointContext } from '../server/endpoint-router.js';
import type { Store, User } from '../store/store.js';
import type { WebhooksConfig } from './config-schema.js';
import type { HttpMethod } from './router.js';
import type { JsonObject } from './validate.js';

/** What every API handler shares, built once by installApi. */
export interface ApiDeps {
  readonly store: Store;
  readonly auth: AuthRuntime;
  readonly config: GatehouseConfig;
  readonly webhooks: WebhooksConfig;
  readonly logger: Logger;
  /** Wakes this replica's deliverer after a change queued deliveries (others find them on their next poll). */
  readonly kickDeliverer: () => void;
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
