import type { GatehouseConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AuditRecorder } from '../actors/audit-writer.js';
import type { DomainEventBus } from '../events/domain-events.js';
import type { SessionService } from '../sessions/session-service.js';
import { sessionCookieOptions, type CookieOptions } from '../sessions/cookie.js';
import { CsrfGuard } from './csrf.js';
import { redirectHostsOf } from './redirect-target.js';
import { LoginThrottle } from './login-throttle.js';
import { DeviceCookies } from './device-cookie.js';
import { providerButtons } from './oauth/provider-registry.js';
import type { PageRenderer } from '../pages/page-renderer.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SecretBox } from '../accounts/secret-box.js';
import type { DeferredTasks } from '../actors/deferred-tasks.js';
import type { MailOutbox } from '../mail/mail-outbox.js';
import type { EndpointContext } from '../http/endpoint-router.js';
import type { ParsedBody } from '../http/request-body.js';
import type { NewOutboxMail, Store, User } from '../store/store.js';
import type { MailedLink } from './write-ops.js';

/** What the login endpoints need from the password hash pool (auth/passwords). */
export interface PasswordHasher {
  /** Throws GATE_ERR_HASH_POOL_FULL at once when the pool has no room now (checked before any store read). */
  rejectIfFull(): void;
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  needsRehash(hash: string): boolean;
  /** Spends the same work as a real verify, for unknown accounts (no timing oracle). */
  dummyVerify(password: string): Promise<false>;
}

/** What login and registration need from the account flows before the endpoints exist (built first by src/accounts, part of AuthDeps). */
export interface SelfService {
  readonly pages: PageRenderer;
  readonly mail: MailOutbox;
  readonly box: SecretBox;
  readonly deferred: DeferredTasks;
  /**
   * The verification link to store with a new local account (write-ops.ts registerTx), minted and its mail sealed
   * here; null when verification is off or mail is not configured.
   */
  registrationLink(user: { email: string; name: string | null }): MailedLink | null;
  /**
   * A session is about to start for `user`: when a second factor must be proven first, this takes over the answer
   * (the second-factor page, or 401 for JSON) and returns true.
   */
  secondFactor(deps: AuthDeps, req: IncomingMessage, res: ServerResponse, ctx: EndpointContext, user: User,
    body: ParsedBody | { kind: 'browser' }, rd: string | null, amr: readonly string[], how: { method: string; provider: string }): Promise<boolean>;
  /** Someone tried to register an address that has an account: the sealed mail telling its owner (null without mail). */
  registrationNotice(user: User, clientIp: string): NewOutboxMail | null;
  sendMailNow(): Promise<number>;
}

/** Everything the auth endpoints share, built once by the composition root. */
export interface AuthDeps {
  readonly config: GatehouseConfig;
  readonly store: Store;
  readonly sessions: SessionService;
  readonly hasher: PasswordHasher;
  readonly audit: AuditRecorder;
  /** Logins and logouts are published here (audit and webhooks subscribe). */
  readonly events: DomainEventBus;
  readonly throttle: LoginThrottle;
  /** Device cookies for the throttle (undefined when auth.throttle.device_cookies is off). */
  readonly deviceCookies: DeviceCookies | undefined;
  readonly csrf: CsrfGuard;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly cookieName: string;
  readonly cookie: CookieOptions;
  /** Hosts `rd` may name besides this site, from the running configuration (redirect-target.ts redirectHostsOf). */
  redirectHosts(): readonly string[];
  /** Login buttons for OAuth providers (filled by auth/oauth once providers exist). */
  readonly providers: readonly { readonly id: string; readonly label: string }[];
  /** Gatehouse's own pages (templates, brand). */
  readonly pages: PageRenderer;
  /** Mail, sealed secrets, the second-factor hook and the registration hooks of the account flows (src/accounts). */
  readonly selfService: SelfService;
}

/** Builds what the auth endpoints share from the parts the composition root made. */
export function createAuthDeps(parts: Pick<AuthDeps, 'config' | 'store' | 'sessions' | 'hasher' | 'audit' | 'events' | 'metrics' | 'logger' | 'selfService'>
  & { readonly running?: () => GatehouseConfig }): AuthDeps {
  const { config, running, ...rest } = parts;
  const cookie = sessionCookieOptions(config.sessions);
  return {
    ...rest, config, redirectHosts: () => redirectHostsOf(running?.() ?? config), cookieName: config.sessions.cookie.name, cookie, pages: parts.selfService.pages,
    throttle: new LoginThrottle(parts.store.loginAttempts, config.auth.throttle, { metrics: parts.metrics, logger: parts.logger }),
    deviceCookies: config.auth.throttle.device_cookies
      ? new DeviceCookies(parts.store.settings, { secure: cookie.secure, lifetimeMs: config.auth.throttle.device_cookie_lifetime })
      : undefined,
    csrf: new CsrfGuard({ secure: cookie.secure, publicUrl: config.server.public_url }),
    providers: providerButtons(config.auth.providers),
  };
}
