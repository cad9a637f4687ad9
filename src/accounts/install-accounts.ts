import type { Actor } from '../actors/actor.js';
import type { AuthDeps, SelfService } from '../auth/auth-deps.js';
import { createDeferredTasks } from '../actors/deferred-tasks.js';
import { createMailSender } from '../actors/mail-sender.js';
import { createMailOutbox } from '../mail/mail-outbox.js';
import { createMailTransport } from '../mail/mail-transport.js';
import { createMailRenderer } from '../mail/render-mail.js';
import { createPageRenderer } from '../pages/page-renderer.js';
import type { GatehouseConfig } from '../config/index.js';
import type { EndpointRouter } from '../http/endpoint-router.js';
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
import type { Store } from '../store/store.js';
import { loadSecretBox } from './secret-box.js';
import { publicLink, verificationRequired, type AccountsDeps } from './accounts-deps.js';
import { verificationLink, resendVerificationEndpoint, verifyEmailEndpoint, verifyEmailPageEndpoint } from './email-verification.js';
import { forgotPasswordEndpoint, forgotPasswordPageEndpoint, resetPasswordEndpoint, resetPasswordPageEndpoint } from './password-reset.js';

/** What the account flows expose to the rest of the app (registration hooks, tests). */
export interface AccountsRuntime {
  readonly deps: AccountsDeps;
  /** Sends due mail now (tests; the sender also polls). Resolves with how many attempts were made. */
  sendMailNow(): Promise<number>;
}

/**
 * Builds the parts the account flows share: the secret box, the mail outbox and its sender, deferred tasks and the
 * page renderer (the sender and the deferred tasks become actors of the app).
 */
export async function prepareSelfService(config: GatehouseConfig, store: Store, logger: Logger, metrics: Metrics): Promise<SelfService & { actors: Actor[] }> {
  const actors: Actor[] = [];
  const box = await loadSecretBox(config.accounts, store.settings, logger);
  const transport = await createMailTransport(config.mail);
  const mail = createMailOutbox({ enabled: transport !== undefined, box });
  const renderer = createMailRenderer({ templatesDir: config.mail.templates_dir, productName: config.pages.product_name });
  const sender = transport === undefined ? undefined
    : createMailSender({ store, config: config.mail.outbox, transport, renderer, box, metrics, logger });
  if (sender !== undefined) {
    actors.push(sender);
    mail.setKick(() => sender.kick());
  }
  const deferred = createDeferredTasks({ max: 256, logger });
  actors.push(deferred);
  if (transport === undefined && verificationRequired({ config })) {
    logger.warn('auth.local.require_verified_email is on but mail is not configured (mail.smtp or mail.file): no verification links can be sent, so self-registered addresses stay unconfirmed');
  }
  const pages = createPageRenderer(config.pages);
  const base = { config };
  return {
    actors, pages, mail, box, deferred,
    registrationLink: (user) => verificationRequired(base) ? verificationLink({ config, mail }, user) : null,
    secondFactor: beginSecondFactor,
    registrationNotice: (user, clientIp) => mail.seal({
      template: 'registration-attempt', to: user.email,
      vars: { email: user.email, name: user.name ?? '', client_ip: clientIp, link: publicLink(base, '/.gatehouse/forgot-password') },
    }),
    sendMailNow: () => sender?.runOnce() ?? Promise.resolve(0),
  };
}

/** Registers the endpoints for email verification and password reset. */
export function installAccounts(endpoints: EndpointRouter, auth: AuthDeps): AccountsRuntime {
  const { pages, mail, box, deferred } = auth.selfService;
  const deps: AccountsDeps = { ...auth, pages, mail, box, deferred };
  endpoints
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
    endpoints
      .add('GET', '/.gatehouse/account/totp', totpSetupPageEndpoint(deps))
      .add('POST', '/.gatehouse/account/totp', totpConfirmEndpoint(deps))
      .add('POST', '/.gatehouse/account/totp/remove', totpRemoveEndpoint(deps));
  }
  if (auth.config.accounts.mfa.webauthn.enabled) {
    const assets = passkeyAssetEndpoints();
    endpoints
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
