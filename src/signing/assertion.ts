import { createHash, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { SigningUnavailableError } from '../errors/index.js';
import type { ActiveKey } from './key-ring.js';

/** Who the assertion is about: the authenticated caller as the pipeline knows it (structurally its Identity). */
export interface AssertedIdentity {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly orgs: readonly { readonly slug: string; readonly role: string }[];
  readonly emailVerified?: boolean;
  readonly amr?: readonly string[];
  /** The session id (the token's hash); the assertion carries a hash of it, never it. */
  readonly sessionId?: string;
}

/** The claims Gatehouse signs (docs/signed-identity.md lists them). */
export interface AssertionClaims {
  iss: string;
  aud: string;
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  roles: string[];
  /** Approved organizations: slug -> the member's role there (owner, admin, member). */
  orgs: Record<string, string>;
  amr: string[];
  sid?: string;
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
}

/** What a signer needs: where the key comes from, the issuer, a clock. */
export interface AssertionSignerDeps {
  /** The key to sign with now; undefined when the replica cannot vouch for its keys. */
  readonly activeKey: () => ActiveKey | undefined;
  readonly issuer: string;
  readonly now?: () => number;
  /** Called once per signature made (gatehouse_identity_assertions_signed_total). */
  readonly onSigned?: () => void;
}

interface Cached {
  readonly token: Promise<string> | string;
  readonly kid: string;
  readonly lifetimeMs: number;
  /** Re-sign from this time on (half the lifetime): an upstream never gets an assertion about to expire. */
  readonly renewAt: number;
}

/**
 * Signs identity assertions and keeps each one per (identity, audience) until half its lifetime has passed, the
 * signing key changed, or the identity object is dropped. The session authenticators hand out one identity object per
 * cached session, and a role, organization or revocation change evicts that session from the cache (the change feed
 * on other replicas, within `sessions.cache.ttl` at worst): the next request gets a new identity object, so a new
 * assertion. A cache hit does no signing and no allocation; concurrent requests on a miss share one signature.
 */
export class AssertionSigner {
  readonly #deps: AssertionSignerDeps;
  readonly #now: () => number;
  readonly #cache = new WeakMap<AssertedIdentity, Map<string, Cached>>();
  readonly #sids = new WeakMap<AssertedIdentity, string>();

  constructor(deps: AssertionSignerDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /**
   * The assertion for `identity` to `audience`: a string on a cache hit, a promise when it must be signed. Throws
   * (or rejects with) SigningUnavailableError when there is no key to sign with: the request must not go unsigned.
   */
  assertion(identity: AssertedIdentity, audience: string, lifetimeMs: number): string | Promise<string> {
    const key = this.#deps.activeKey();
    if (key === undefined) throw new SigningUnavailableError('no signing key could be read (see the signing key log lines)');
    const now = this.#now();
    let byAudience = this.#cache.get(identity);
    const cached = byAudience?.get(audience);
    if (cached !== undefined && now < cached.renewAt && cached.kid === key.kid && cached.lifetimeMs === lifetimeMs) return cached.token;
    if (byAudience === undefined) this.#cache.set(identity, (byAudience = new Map()));
    const claims = this.claims(identity, audience, lifetimeMs, now);
    this.#deps.onSigned?.();
    const signing = new SignJWT(claims as unknown as Record<string, unknown>)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .sign(key.key)
      .catch((err: unknown) => {
        byAudience.delete(audience);
        throw new SigningUnavailableError('signing an assertion failed', err);
      });
    const entry: Cached = { token: signing, kid: key.kid, lifetimeMs, renewAt: now + lifetimeMs / 2 };
    byAudience.set(audience, entry);
    void signing.then((token) => {
      if (byAudience.get(audience) === entry) byAudience.set(audience, { ...entry, token });
    }, () => undefined);
    return signing;
  }

  /** The claims of an assertion issued at `now` (ms). */
  claims(identity: AssertedIdentity, audience: string, lifetimeMs: number, now: number): AssertionClaims {
    const iat = Math.floor(now / 1000);
    const orgs: Record<string, string> = {};
    for (const o of identity.orgs) orgs[o.slug] = o.role;
    const claims: AssertionClaims = {
      iss: this.#deps.issuer, aud: audience, sub: identity.userId, email: identity.email,
      email_verified: identity.emailVerified === true, name: identity.name, roles: [...identity.roles], orgs,
      amr: [...(identity.amr ?? [])], iat, nbf: iat, exp: iat + Math.ceil(lifetimeMs / 1000), jti: randomUUID(),
    };
    const sid = this.#sid(identity);
    if (sid !== undefined) claims.sid = sid;
    return claims;
  }

  /**
   * The session reference: a SHA-256 of the session id (itself a hash of the token), so an upstream can tell two
   * sessions of one user apart (logs, per-session state) but holds nothing it could present as a credential.
   */
  #sid(identity: AssertedIdentity): string | undefined {
    if (identity.sessionId === undefined) return undefined;
    let sid = this.#sids.get(identity);
    if (sid === undefined) {
      sid = createHash('sha256').update('gatehouse sid\0').update(identity.sessionId).digest('base64url').slice(0, 32);
      this.#sids.set(identity, sid);
    }
    return sid;
  }
}
