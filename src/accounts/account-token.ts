import { createHash, randomBytes } from 'node:crypto';

/**
 * A fresh single-use token: 256 random bits for the link or cookie, and the SHA-256 the store keeps. A database
 * reader learns hashes only, and a 256-bit secret needs no slow hash (nothing to guess from).
 */
export function mintAccountToken(): { token: string; id: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, id: accountTokenId(token) };
}

/** The stored id (hash) of a presented token; undefined when it is not shaped like one of ours. */
export function accountTokenId(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether a presented string could be one of our tokens (checked before any store read). */
export function isTokenShaped(token: string | null | undefined): token is string {
  return typeof token === 'string' && /^[A-Za-z0-9_-]{43}$/.test(token);
}

/** A duration for people: "30 minutes", "24 hours", "7 days". */
export function humanDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 60);
  if (hours < 72) return `${hours} hours`;
  return `${Math.round(hours / 24)} days`;
}
