import type { GatehouseConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AuditEvent, Store } from '../store/store.js';
import type { SessionService } from '../sessions/session-service.js';
import type { CookieOptions } from '../sessions/cookie.js';
import type { CsrfGuard } from './csrf.js';
import type { LoginThrottle } from './login-throttle.js';
import type { PageRenderer } from '../pages/page-renderer.js';
import type { SelfService } from '../accounts/install-accounts.js';

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

/** An audit event as producers describe it; the writer assigns id and time. */
export type AuditRecord = Omit<AuditEvent, 'id' | 'at'> & Partial<Pick<AuditEvent, 'id' | 'at'>>;

/** What the login endpoints need from the audit writer: a call that never waits for I/O. */
export interface AuditRecorder {
  record(event: AuditRecord): void;
}

/** Everything the auth endpoints share, built once by the composition root. */
export interface AuthDeps {
  readonly config: GatehouseConfig;
  readonly store: Store;
  readonly sessions: SessionService;
  readonly hasher: PasswordHasher;
  readonly audit: AuditRecorder;
  readonly throttle: LoginThrottle;
  readonly csrf: CsrfGuard;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly cookieName: string;
  readonly cookie: CookieOptions;
  /** Gatehouse's own pages (templates, brand). */
  readonly pages: PageRenderer;
  /** Mail, sealed secrets and the registration hooks of the account flows (src/accounts). */
  readonly selfService: SelfService;
  /** Login buttons for OAuth providers (filled by auth/oauth once providers exist). */
  readonly providers: readonly { readonly id: string; readonly label: string }[];
}
