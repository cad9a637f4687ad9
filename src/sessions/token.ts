import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A key that signs session tokens; `id` travels in the token so keys can rotate. */
export interface TokenKey {
  readonly id: string;
  readonly secret: Buffer;
}

/** A minted token: what the browser gets, and the id the store keeps (a hash: the token itself is never stored). */
export interface MintedToken {
  readonly token: string;
  readonly sessionId: string;
}

/**
 * The shape of a session token, `<key id>.<random>.<mac>`, as regular-expression source (the one definition: token
 * verification here and the credential stripping in proxy/upstream-headers.ts both build on it).
 */
export const TOKEN_SHAPE_SOURCE = '([A-Za-z0-9]{1,16})\\.([A-Za-z0-9_-]{43})\\.([A-Za-z0-9_-]{22})';
const TOKEN_SHAPE = new RegExp(`^${TOKEN_SHAPE_SOURCE}$`);

/**
 * Session tokens look like `<key id>.<256 random bits, base64url>.<128-bit HMAC-SHA256 of the first two parts>`.
 * The MAC makes a token recognisable as ours without the store, so garbage and forged tokens cost no database read.
 * The session id is SHA-256 of the random part only, so rotating the MAC key does not change it.
 */
export function mintToken(key: TokenKey): MintedToken {
  const random = randomBytes(32).toString('base64url');
  const body = `${key.id}.${random}`;
  return { token: `${body}.${mac(key.secret, body)}`, sessionId: sessionIdOf(random) };
}

/** Why a presented token was refused before any store lookup. */
export type TokenRejection = 'malformed' | 'bad_mac';

/** Checks a token's shape and MAC against the known keys; returns the session id it names, or why not. */
export function verifyToken(token: string, keys: ReadonlyMap<string, TokenKey>): { ok: true; sessionId: string } | { ok: false; reason: TokenRejection } {
  if (token.length > 90) return { ok: false, reason: 'malformed' };
  const m = TOKEN_SHAPE.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const key = keys.get(m[1]!);
  if (!key) return { ok: false, reason: 'bad_mac' };
  const expected = Buffer.from(mac(key.secret, `${m[1]}.${m[2]}`));
  const given = Buffer.from(m[3]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad_mac' };
  return { ok: true, sessionId: sessionIdOf(m[2]!) };
}

function mac(secret: Buffer, body: string): string {
  return createHmac('sha256', secret).update(body).digest().subarray(0, 16).toString('base64url');
}

function sessionIdOf(random: string): string {
  return createHash('sha256').update(random).digest('base64url');
}
