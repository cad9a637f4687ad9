import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { HOTP, Secret, TOTP } from 'otpauth';

/** RFC 6238 parameters every authenticator app understands: HMAC-SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
const DIGITS = 6;

/** A fresh 160-bit secret (RFC 4226 §4 recommends 160 bits), base32 as apps expect it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://` URI an app scans (Key Uri Format): issuer and account name shown in the app. */
export function totpUri(secret: string, issuer: string, account: string): string {
  return new TOTP({ issuer, label: account, secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: DIGITS, period: TOTP_PERIOD_SECONDS }).toString();
}

/** The time step (RFC 6238 §4: floor(unix time / 30)) of a moment. */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
}

/**
 * The step a code belongs to, within `skew` steps of now, or undefined. Every candidate is computed and compared
 * in constant time (no early exit), so the time taken says nothing about which step matched. The caller must then
 * accept the step only once (MfaRepo.useTotpStep): RFC 6238 §5.2, a code is never accepted twice.
 */
export function matchTotp(secret: string, code: string, nowMs: number, skew: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const key = Secret.fromBase32(secret);
  const given = Buffer.from(code);
  const now = totpStep(nowMs);
  let found: number | undefined;
  for (let step = now - skew; step <= now + skew; step++) {
    const expected = Buffer.from(HOTP.generate({ secret: key, algorithm: 'SHA1', digits: DIGITS, counter: step }));
    if (timingSafeEqual(expected, given) && found === undefined) found = step;
  }
  return found;
}

/** A code typed by a person: spaces and dashes removed ("123 456" is 123456). */
export function normaliseCode(raw: string): string {
  return raw.replace(/[\s-]/g, '');
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/**
 * Ten recovery codes: 16 characters from a 31-letter alphabet (about 79 bits each, so a SHA-256 is enough at rest),
 * shown as four groups of four.
 */
export function newRecoveryCodes(count = 10): string[] {
  return Array.from({ length: count }, () => {
    let code = '';
    for (let i = 0; i < 16; i++) code += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
    return code.match(/.{4}/g)!.join('-');
  });
}

/** The stored form of a recovery code: SHA-256 of the code without separators, lower-cased. */
export function recoveryCodeHash(code: string): string {
  return createHash('sha256').update(normaliseCode(code).toLowerCase(), 'utf8').digest('hex');
}
