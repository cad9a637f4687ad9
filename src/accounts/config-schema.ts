import { z } from 'zod';
import { durationMs } from '../config/schema-helpers.js';

/**
 * The `accounts:` section: what local accounts bring beyond a password (issue 18): email verification and password
 * reset links, second factors (TOTP, passkeys), and the key that seals secrets at rest.
 */
export const accountsSchema = z.strictObject({
  /**
   * Seals TOTP secrets and queued mail at rest (AES-256-GCM, key derived with HKDF-SHA256). At least 32
   * characters; use ${ENV} or encryption_key_file. Unset: a key is generated and kept in the database (a warning
   * at start: a copy of the database then carries its own key).
   */
  encryption_key: z.string().min(32, 'expected at least 32 characters').optional(),
  encryption_key_file: z.string().min(1).optional(),
  email_verification: z.strictObject({
    /** How long a verification link works. */
    link_ttl: durationMs.default(24 * 3_600_000),
  }).prefault({}),
  password_reset: z.strictObject({
    /** Offer "forgot password" on the login page (needs mail). */
    enabled: z.boolean().default(true),
    /** How long a reset link works. */
    link_ttl: durationMs.default(30 * 60_000),
    /** Reset requests per account (email, case-folded) per window; past it, the same answer and no mail. */
    max_per_account: z.number().int().positive().default(3),
    /** Reset requests per client IP per window; past it, 429. */
    max_per_ip: z.number().int().positive().default(20),
    window: durationMs.default(3_600_000),
  }).prefault({}),
  mfa: z.strictObject({
    /** Users who have a second factor are asked for it at every sign-in (false: only when a route requires one). */
    ask_at_login: z.boolean().default(true),
    /** Wrong second-factor codes per account per window before 429 (like auth.throttle for passwords). */
    max_failures: z.number().int().positive().default(10),
    window: durationMs.default(15 * 60_000),
    /** How long the second step of a sign-in may take after the password. */
    login_ttl: durationMs.default(5 * 60_000),
    totp: z.strictObject({
      enabled: z.boolean().default(true),
      /** Shown in the authenticator app; default: pages.product_name. */
      issuer: z.string().min(1).max(64).optional(),
      /** Codes from this many periods before and after now are accepted (clock drift); a used one never again. */
      skew: z.number().int().min(0).max(2).default(1),
    }).prefault({}),
    webauthn: z.strictObject({
      enabled: z.boolean().default(true),
      /** The relying party id: the public URL's host by default (passkeys are bound to it). */
      rp_id: z.string().min(1).optional(),
      /** required: the authenticator must verify the user (PIN, biometrics) for every use. */
      user_verification: z.enum(['required', 'preferred']).default('preferred'),
      timeout: durationMs.default(120_000),
    }).prefault({}),
  }).prefault({}),
}).superRefine((a, ctx) => {
  if (a.encryption_key !== undefined && a.encryption_key_file !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['encryption_key_file'], message: 'choose one of encryption_key and encryption_key_file' });
  }
}).prefault({});

export type AccountsConfig = z.output<typeof accountsSchema>;
