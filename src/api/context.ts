import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccountAdmin } from '../auth/account-admin.js';
import type { GatehouseConfig } from '../config/index.js';
import type { DomainEventBus } from '../events/domain-events.js';
import type { CookieOptions } from '../sessions/cookie.js';
import type { SessionService } from '../sessions/session-service.js';
import type { Logger } from '../log/logger.js';
import type { EndpointContext } from '../http/endpoint-router.js';
import type { NewOutboxMail, Store, User } from '../store/store.js';
import type { WebhooksConfig } from '../actors/config-schema.js';
import type { z } from 'zod';
import type { HttpMethod } from './router.js';

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
  /**
   * Account mail for invitations: `seal` makes the outbox row for the invitation's write op (write-ops.ts; null when
   * mail is not configured), `kick` wakes the sender once it committed.
   */
  readonly mail: {
    seal(mail: { template: 'org-invitation'; to: string; vars: Record<string, string> }): NewOutboxMail | null;
    kick(): void;
  };
  /** The session cookie, cleared when the caller ends their own session. */
  readonly cookie: { readonly name: string; readonly options: CookieOptions };
}

/** The signed-in caller, re-read from the store on every API request (roles and the disabled flag are fresh). */
export interface Caller {
  readonly user: User;
  readonly sessionId: string | undefined;
  readonly platformOwner: boolean;
}

/** One API request as a handler sees it; `Q` and `B` are what its endpoint's query and body schemas parse to. */
export interface ApiCall<Q = unknown, B = unknown> {
  readonly deps: ApiDeps;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly ctx: EndpointContext;
  readonly params: Readonly<Record<string, string>>;
  /** The query string, already parsed against the endpoint's `query` schema (400 before the handler runs). */
  readonly query: Q;
  /** Present on every route but the public ones (the dispatcher answers 401 first). */
  readonly caller: Caller;
  /**
   * Reads the JSON body (empty means `{}`) and parses it against the endpoint's `body` schema. Called by the
   * handler after its visibility and authorization checks, so a caller who may not see a thing learns nothing
   * from a 400 about it.
   */
  body(): Promise<B>;
  /** Records an audit event by the caller. */
  audit(action: string, event: { org?: string | null; target?: string | null; data?: unknown }): void;
}

/** What a handler answers; the dispatcher writes it. */
export interface ApiResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Error statuses an endpoint may answer besides those every endpoint of its kind can (see api/openapi.ts). */
export type ErrorStatus = 403 | 404 | 409;

/** A successful answer as documented: its description and, unless it has no body, its schema. */
export interface SuccessResponse {
  readonly description: string;
  readonly schema?: z.ZodType;
}

/**
 * One API endpoint: where, who may call it at all, what it takes and answers, and what it does. The schemas are
 * the single description of its input and output: the dispatcher parses with them and the OpenAPI document is
 * generated from them.
 */
export interface ApiEndpoint<Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  readonly method: HttpMethod;
  readonly pattern: string;
  /** `public` needs no session; `signed_in` answers 401 without one (finer checks are the handler's). */
  readonly auth: 'public' | 'signed_in';
  readonly operationId: string;
  readonly summary: string;
  /** Descriptions of the path parameters (`:org` -> `org`). */
  readonly params?: Readonly<Record<string, string>>;
  /** The query string (default: none accepted). */
  readonly query?: Q;
  /** The JSON body of a write (default: none, or `{}`). */
  readonly body?: B;
  readonly responses: Readonly<Record<number, SuccessResponse>>;
  /** Statuses that come from the handler's own checks: 403 (role), 404 (path ids), 409 (state). */
  readonly errors?: readonly ErrorStatus[];
  // A method, not a property: handlers take their own schemas' types, and the router holds them all as one type.
  run(call: ApiCall<z.output<Q>, z.output<B>>): Promise<ApiResult>;
}

/** Declares an endpoint, inferring its handler's input types from its schemas. */
export function endpoint<Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType>(e: ApiEndpoint<Q, B>): ApiEndpoint {
  return e as unknown as ApiEndpoint;
}

/** The platform role that approves organizations and administers users. */
export const PLATFORM_OWNER = 'platform_owner';
