import type { App } from '../app.js';
import type { AuthDeps } from '../auth/auth-deps.js';
import { createDeferredTasks } from '../actors/deferred-tasks.js';
import { createMailSender } from '../actors/mail-sender.js';
import { createMailOutbox } from '../mail/mail-outbox.js';
import { createMailTransport } from '../mail/mail-transport.js';
import { createMailRenderer } from '../mail/render-mail.js';
import { createPageRenderer, type PageRenderer } from '../pages/page-renderer.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatehouseConfig } from '../config/index.js';
import type { EndpointContext } from '../server/endpoint-router.js';
import type { ParsedBody } from '../auth/request-body.js';
import { beginSecondFactor, mfaEndpoint, mfaPageEndpoint } from './second-factor.js';
import { accountPageEndpoint, passwordChangeEndpoint, profileEndpoint, revokeSessionsEndpoint } from './account-page.js';
import { passkeyAssetEndpoints } from './passkey-assets.js';
import {
  addPasskeyEndpoint, mfaPasskeyEndpoint, mfaPasskeyOptionsEndpoint, passkeyLoginEndpoint, passkeyLoginOptionsEndpoint,
  registrationOptionsEndpoint, removePasskeyEndpoint, renamePasskeyEndpoint,
} from './passkeys.js';
import { recoveryCodesEndpoint, totpConfirmEndpoint, totpRemoveEndpoint, totpSetupPageEndpoint } from './totp-enrolment.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Store, StoreRepos, User } from '../store/store.js';
import type { DeferredTasks } from '../actors/deferred-tasks.js';
import type { MailOutbox } from '../mail/mail-outbox.js';
import { loadSecretBox, type SecretBox } from './secret-box.js';
import { publicLink, verificationRequired, type AccountsDeps } from './accounts-deps.js';
import { queueVerification, resendVerificationEndpoint, verifyEmailEndpoint, verifyEmailPageEndpoint } from './email-verification.js';
import { forgotPasswordEndpoint, forgotPasswordPageEndpoint, resetPasswordEndpoint, resetPasswordPageEndpoint } from './password-reset.js';

/** What the account flows expose to the rest of the app (registration hooks, tests). */
export interface AccountsRuntime {
  readonly deps: AccountsDeps;
  /** Sends due mail now (tests; the sender also polls). Resolves with how many attempts were made. */
  sendMailNow(): Promise<number>;
}

/** What login and registration need from the account flows before the endpoints exist (built first, part of AuthDeps). */
export interface SelfService {
  readonly pages: PageRenderer;
  readonly mail: MailOutbox;
  readonly box: SecretBox;
  readonly deferred: DeferredTasks;
  /** In the transaction that created a local account: queue its verification link when verification is on. */
  onRegistered(tx: StoreRepos, user: User): Promise<void>;
  /**
   * A session is about to start for `user`: when a second factor must be proven first, this takes over the answer
   * (the second-factor page, or 401 for JSON) and returns true.
   */
  secondFactor(deps: AuthDeps, req: IncomingMessage, res: ServerResponse, ctx: EndpointContext, user: User,
    body: ParsedBody | { kind: 'browser' }, rd: string | null, amr: readonly string[], how: { method: string; provider: string }): Promise<boolean>;
  /** Someone tried to register an address that has an account: tell its owner (in the caller's transaction). */
  onRegistrationForExisting(tx: StoreRepos, user: User, clientIp: string): Promise<void>;
  sendMailNow(): Promise<number>;
}

/**
 * Builds the parts the account flows share: the secret box, the mail outbox and its sender, deferred tasks and the
 * page renderer (the sender and the deferred tasks become actors of the app).
 */
export async function prepareSelfService(app: App, config: GatehouseConfig, store: Store, logger: Logger, metrics: Metrics): Promise<SelfService> {
  const box = await loadSecretBox(config.accounts, store.settings, logger);
  const transport = await createMailTransport(config.mail);
  const mail = createMailOutbox({ enabled: transport !== undefined, box });
  const renderer = createMailRenderer({ templatesDir: config.mail.templates_dir, productName: config.pages.product_name });
  const sender = transport === undefined ? undefined
    : createMailSender({ store, config: config.mail.outbox, transport, renderer, box, metrics, logger });
  if (sender !== undefined) {
    app.addActor(sender);
    mail.setKick(() => sender.kick());
  }
  const deferred = createDeferredTasks({ max: 256, logger });
  app.addActor(deferred);
  if (transport === undefined && verificationRequired({ config })) {
    logger.warn('auth.local.require_verified_email is on but mail is not configured (mail.smtp or mail.file): no verification links can be sent, so self-registered addresses stay unconfirmed');
  }
  const pages = createPageRenderer(config.pages);
  const base = { config };
  return {
    pages, mail, box, deferred,
    async onRegistered(tx, user) {
      if (verificationRequired(base)) await queueVerification({ config, mail }, tx, user);
    },
    secondFactor: beginSecondFactor,
    async onRegistrationForExisting(tx, user, clientIp) {
      await mail.queue(tx, {
        template: 'registration-attempt', to: user.email,
        vars: { email: user.email, name: user.name ?? '', client_ip: clientIp, link: publicLink(base, '/.gatehouse/forgot-password') },
      });
    },
    sendMailNow: () => sender?.runOnce() ?? Promise.resolve(0),
  };
}

/** Registers the endpoints for email verification and password reset. */
export function installAccounts(app: App, auth: AuthDeps): AccountsRuntime {
  const { pages, mail, box, deferred } = auth.selfService;
  const deps: AccountsDeps = { ...auth, pages, mail, box, deferred };
  app.endpoints
    .add('GET', '/.gatehouse/verify-email', verifyEmailPageEndpoint(deps))
    .add('POST', '/.gatehouse/verify-email', verifyEmailEndpoint(deps))
    .add('POST', '/.gatehouse/verify-email/resend', resendVerificationEndpoint(deps))
    .add('GET', '/.gatehouse/forgot-password', forgotPasswordPageEndpoint(deps))
    .add('POST', '/.gatehouse/forgot-password', forgotPasswordEndpoint(deps))
    .add('GET', '/.gatehouse/reset-password', resetPasswordPageEndpoint(deps))
    .add('POST', '/.gatehouse/reset-password', resetPasswordEndpoint(deps))
    .add('GET', '/.gatehouse/mfa', mfaPageEndpoint(deps))
    .add('POST', '/.gatehouse/mfa', mfaEndpoint(deps))
    .add('GET', '/.gatehouse/account', accountPageEndpoint(deps))
    .add('POST', '/.gatehouse/account/profile', profileEndpoint(deps))
    .add('POST', '/.gatehouse/account/password', passwordChangeEndpoint(deps))
    .add('POST', '/.gatehouse/account/sessions/revoke', revokeSessionsEndpoint(deps))
    .add('POST', '/.gatehouse/account/recovery-codes', recoveryCodesEndpoint(deps));
  if (auth.config.accounts.mfa.totp.enabled) {
    app.endpoints
      .add('GET', '/.gatehouse/account/totp', totpSetupPageEndpoint(deps))
      .add('POST', '/.gatehouse/account/totp', totpConfirmEndpoint(deps))
      .add('POST', '/.gatehouse/account/totp/remove', totpRemoveEndpoint(deps));
  }
  if (auth.config.accounts.mfa.webauthn.enabled) {
    const assets = passkeyAssetEndpoints();
    app.endpoints
      .add('GET', '/.gatehouse/assets/simplewebauthn-browser.js', assets.browser)
      .add('GET', '/.gatehouse/assets/passkeys.js', assets.glue)
      .add('POST', '/.gatehouse/account/passkeys/options', registrationOptionsEndpoint(deps))
      .add('POST', '/.gatehouse/account/passkeys/add', addPasskeyEndpoint(deps))
      .add('POST', '/.gatehouse/account/passkeys/rename', renamePasskeyEndpoint(deps))
      .add('POST', '/.gatehouse/account/passkeys/remove', removePasskeyEndpoint(deps))
      .add('POST', '/.gatehouse/passkey/options', passkeyLoginOptionsEndpoint(deps))
      .add('POST', '/.gatehouse/passkey/login', passkeyLoginEndpoint(deps))
      .add('POST', '/.gatehouse/mfa/passkey/options', mfaPasskeyOptionsEndpoint(deps))
      .add('POST', '/.gatehouse/mfa/passkey', mfaPasskeyEndpoint(deps));
  }
  return { deps, sendMailNow: () => auth.selfService.sendMailNow() };
}
