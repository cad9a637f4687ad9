/**
 * What a new password must be (NIST SP 800-63B §5.1.1.2, OWASP ASVS 2.1): long enough counted in characters the
 * user sees, not absurdly long, and not one of the very common ones. No composition rules (they do not help), any
 * Unicode is allowed, and nothing is ever truncated: the hash pool receives the whole string.
 */
import { COMMON_PASSWORDS } from './common-passwords.js';

/**
 * The most characters (code points) a new password may have. Well above ASVS's "at least 64 (128 preferred)"; the
 * bound exists so one request cannot make Argon2 hash megabytes.
 */
export const PASSWORD_MAX_LENGTH = 1024;

/** Counts Unicode code points, so "🔑" is one character and not two UTF-16 units. */
export function codePointLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/**
 * Checks a password being set (registration, change, CLI). Returns the reason it is refused, for the user to read,
 * or undefined when it is acceptable. `minLength` is `auth.local.password_min_length`.
 */
export function checkNewPassword(password: string, minLength: number): string | undefined {
  const length = codePointLength(password);
  if (length < minLength) return `password must be at least ${minLength} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `password must be at most ${PASSWORD_MAX_LENGTH} characters`;
  if (password.trim() === '') return 'password must not be only spaces';
  if (COMMON_PASSWORDS.has(password.normalize('NFKC').toLowerCase())) return 'this password is too common; choose another';
  return undefined;
}
