import type { GatehouseConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Store } from '../store/store.js';
import type { AuditRecorder } from '../actors/audit-writer.js';
import type { DomainEventBus } from '../events/domain-events.js';
import type { SessionService } from '../sessions/session-service.js';
import { sessionCookieOptions, type CookieOptions } from '../sessions/cookie.js';
import { CsrfGuard } from './csrf.js';
import { LoginThrottle } from './login-throttle.js';
import { providerButtons } from './oauth/provider-registry.js';

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
  readonly csrf: CsrfGuard;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly cookieName: string;
  readonly cookie: CookieOptions;
  /** Login buttons for OAuth providers (filled by auth/oauth once providers exist). */
  readonly providers: readonly { readonly id: string; readonly label: string }[];
}

/** Builds what the auth endpoints share from the parts the composition root made. */
export function createAuthDeps(parts: Pick<AuthDeps, 'config' | 'store' | 'sessions' | 'hasher' | 'audit' | 'events' | 'metrics' | 'logger'>): AuthDeps {
  const { config } = parts;
  const cookie = sessionCookieOptions(config.sessions);
  return {
    ...parts, cookieName: config.sessions.cookie.name, cookie,
    throttle: new LoginThrottle(parts.store.loginAttempts, config.auth.throttle),
    csrf: new CsrfGuard({ secure: cookie.secure, publicUrl: config.server.public_url }),
    providers: providerButtons(config.auth.providers),
  };
}
