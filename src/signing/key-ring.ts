import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { SecretBox } from '../accounts/secret-box.js';
import type { Logger } from '../log/logger.js';
import type { SigningKey, SigningKeysRepo } from '../store/store.js';
import type { SignedIdentityConfig } from './config-schema.js';

/** The key a replica signs with right now. */
export interface ActiveKey {
  readonly kid: string;
  readonly alg: string;
  readonly key: CryptoKey;
}

/** The JWKS document (RFC 7517 §5): public keys only. */
export interface Jwks {
  readonly keys: readonly JWK[];
}

/** What the key ring needs: the store's keys, the box that seals private keys, the settings, a clock. */
export interface KeyRingDeps {
  readonly keys: SigningKeysRepo;
  readonly box: SecretBox;
  readonly config: SignedIdentityConfig;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Where a rotation stands: what it added and when that key starts signing. */
export interface RotationResult {
  /** The key added, or undefined when another replica added this generation first. */
  readonly added: SigningKey | undefined;
  readonly activatesAt: Date;
}

/** The sealed-secret context of a private key: a sealed key copied to another row does not open. */
const sealContext = (kid: string): string => `signing-key:${kid}`;

/**
 * The signing keys as one replica knows them (issue 17). Keys live in the store, private halves sealed, so every
 * replica on one database signs with the same keys and publishes the same JWKS. A rotation adds the next generation
 * (a unique column: of two replicas rotating at once, one wins); the new key is published at once and signs only
 * from `activatesAt` (by default `jwks_max_age` later, so verifiers caching the JWKS know it before they meet it);
 * its predecessor stays published for `keys.overlap` after that, then leaves the JWKS and the store.
 *
 * A replica re-reads the keys every `keys.refresh_interval`. When it cannot (database away, sealed key that does not
 * open), it keeps signing with what it read for `overlap - lifetime` after its last good read (no key it knows can
 * have left the JWKS before its assertions expire), then `active()` is undefined and the routes that need an
 * assertion answer 503: never an unsigned request.
 */
export class SigningKeyRing {
  readonly #deps: KeyRingDeps;
  readonly #now: () => number;
  /** Opened private keys by kid (keys never change once written, so one open per key per process). */
  readonly #opened = new Map<string, Promise<CryptoKey>>();
  /** The opened keys that may sign (the active one and its successor), for a synchronous hand-over. */
  readonly #ready = new Map<string, CryptoKey>();
  #keys: readonly SigningKey[] = [];
  #active: ActiveKey | undefined;
  #activeGeneration = 0;
  #lastRead = -Infinity;
  #jwks: Jwks = { keys: [] };
  #jwksText = '{"keys":[]}';

  constructor(deps: KeyRingDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** The key to sign with now, or undefined when this replica cannot vouch for its keys (answer 503). */
  active(): ActiveKey | undefined {
    const now = this.#now();
    if (now - this.#lastRead > this.#deps.config.keys.overlap - this.#deps.config.lifetime) return undefined;
    // A successor whose time came since the last read takes over at once (its private key was opened at the read).
    const next = this.#keys.at(-1);
    if (next !== undefined && next.generation > this.#activeGeneration && next.activatesAt.getTime() <= now) this.#promote(now);
    return this.#active;
  }

  /** The published keys (JWKS), and whether they were ever read. */
  jwks(): { readonly loaded: boolean; readonly jwks: Jwks; readonly text: string } {
    return { loaded: this.#lastRead > -Infinity, jwks: this.#jwks, text: this.#jwksText };
  }

  /** Every key kept in the store as last read, oldest first (for `gatehouse keys list` and tests). */
  known(): readonly SigningKey[] {
    return this.#keys;
  }

  /**
   * Re-reads the keys: makes the first one when there is none, rotates when the newest is older than
   * `rotate_every`, forgets keys past their overlap. Throws when the store or the box fails (the caller logs it).
   */
  async refresh(): Promise<void> {
    const { keys, config } = this.#deps;
    let list = await keys.list();
    const now = this.#now();
    const newest = list.at(-1);
    if (newest === undefined) {
      await this.rotate({ immediate: true });
      list = await keys.list();
    } else if (config.keys.rotate_every > 0 && now - newest.createdAt.getTime() >= config.keys.rotate_every) {
      const result = await this.rotate({ immediate: false, after: list });
      if (result.added !== undefined) this.#deps.logger.info({ kid: result.added.kid, activates_at: result.activatesAt.toISOString() }, 'signing key rotated on schedule');
      list = await keys.list();
    }
    // Keys whose successor has been active for longer than the overlap are gone from the JWKS: forget them.
    const keep = firstPublished(list, now, config.keys.overlap);
    if (keep > 0) await keys.deleteGenerationsBelow(list[keep]!.generation);
    list = list.slice(keep);
    // Open the keys that may sign (the active one and its successor): a key that does not open fails this read.
    const signing = list.filter((k) => k.activatesAt.getTime() <= now).at(-1);
    for (const k of new Set([signing, list.at(-1)])) if (k !== undefined) this.#ready.set(k.kid, await this.#open(k));
    for (const kid of this.#ready.keys()) if (!list.some((k) => k.kid === kid)) this.#ready.delete(kid);
    this.#keys = list;
    this.#jwks = { keys: list.map(publicJwkOf) };
    this.#jwksText = JSON.stringify(this.#jwks);
    this.#promote(now);
    this.#lastRead = now;
  }

  /**
   * Adds the next generation of key. `immediate`: it signs at once (the first key, or `gatehouse keys rotate --now`
   * after a compromise: verifiers then learn it when they meet its kid); otherwise it signs `jwks_max_age` later.
   */
  async rotate(options: { immediate: boolean; after?: readonly SigningKey[] }): Promise<RotationResult> {
    const { keys, box, config } = this.#deps;
    const list = options.after ?? await keys.list();
    const generation = (list.at(-1)?.generation ?? 0) + 1;
    const alg = config.algorithm;
    const pair = await generateKeyPair(alg, { extractable: true });
    const kid = `${new Date(this.#now()).toISOString().slice(0, 10)}-${randomBytes(6).toString('base64url')}`;
    const privateJwk = await exportJWK(pair.privateKey);
    const publicJwk = await exportJWK(pair.publicKey);
    const now = this.#now();
    const key: SigningKey = {
      kid, generation, alg, publicJwk: JSON.stringify({ ...publicJwk, kid, alg, use: 'sig' }),
      sealedPrivateJwk: box.seal(JSON.stringify(privateJwk), sealContext(kid)), createdAt: new Date(now),
      activatesAt: new Date(options.immediate ? now : now + config.keys.jwks_max_age),
    };
    const added = await keys.insert(key);
    return { added: added ? key : undefined, activatesAt: key.activatesAt };
  }

  /** Makes the newest opened key whose time has come the active one. */
  #promote(now: number): void {
    let chosen: SigningKey | undefined;
    for (const k of this.#keys) if (k.activatesAt.getTime() <= now && this.#ready.has(k.kid)) chosen = k;
    if (chosen === undefined || chosen.generation === this.#activeGeneration) return;
    this.#active = { kid: chosen.kid, alg: chosen.alg, key: this.#ready.get(chosen.kid)! };
    this.#activeGeneration = chosen.generation;
  }

  #open(k: SigningKey): Promise<CryptoKey> {
    let opened = this.#opened.get(k.kid);
    if (opened === undefined) {
      opened = (async () => {
        const jwk = JSON.parse(this.#deps.box.open(k.sealedPrivateJwk, sealContext(k.kid))) as JWK;
        return await importJWK(jwk, k.alg) as CryptoKey;
      })();
      // A key that failed to open is tried again on the next read (the box's key may be fixed by a restart only,
      // but a transient failure should not stick).
      opened.catch(() => this.#opened.delete(k.kid));
      this.#opened.set(k.kid, opened);
    }
    return opened;
  }
}

/** The index of the oldest key still published: a key leaves once its successor has signed for `overlap`. */
function firstPublished(list: readonly SigningKey[], now: number, overlapMs: number): number {
  let first = 0;
  for (let i = 0; i + 1 < list.length; i++) {
    if (now >= list[i + 1]!.activatesAt.getTime() + overlapMs) first = i + 1;
  }
  return first;
}

function publicJwkOf(k: SigningKey): JWK {
  return JSON.parse(k.publicJwk) as JWK;
}
