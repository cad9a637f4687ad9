import { z } from 'zod';
import { durationMs } from '../config/schema-helpers.js';

/** Header names Gatehouse may set (an RFC 9110 token); the default is Pomerium's shape under our own name. */
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected a header name (RFC 9110 token)');

/**
 * The `signed_identity:` section (issue 17): a short-lived JWT stating the caller's identity, signed by keys the
 * replicas share, added to requests forwarded for authenticated callers (docs/signed-identity.md).
 */
export const signedIdentitySchema = z.strictObject({
  /** Whether routes that do not say (`routes[].signed_identity`) carry the assertion. */
  enabled: z.boolean().default(false),
  /** The request header that carries the assertion; a client-sent copy is always removed. */
  header: headerName.default('X-Gatehouse-Assertion'),
  /** `exp - iat` of each assertion: how long a captured assertion can be replayed. */
  lifetime: durationMs.refine((ms) => ms >= 1_000 && ms <= 3_600_000, 'expected between 1s and 1h').default(60_000),
  /** The algorithm of new keys (ES256: ECDSA P-256; EdDSA: Ed25519). A change applies from the next rotation. */
  algorithm: z.enum(['ES256', 'EdDSA']).default('ES256'),
  keys: z.strictObject({
    /** A new key is made this long after the newest one (by whichever replica notices first); 0: only on command. */
    rotate_every: durationMs.default(30 * 86_400_000),
    /** `Cache-Control: max-age` of the JWKS; a new key is published this long before anyone signs with it. */
    jwks_max_age: durationMs.refine((ms) => ms >= 1_000, 'expected at least 1s').default(300_000),
    /** How often each replica re-reads the keys (a rotation made elsewhere reaches it within this). */
    refresh_interval: durationMs.refine((ms) => ms >= 100, 'expected at least 100ms').default(30_000),
    /**
     * How long a retired key stays in the JWKS after its successor starts signing; at least lifetime + twice
     * refresh_interval. A replica that cannot re-read the keys keeps signing for `overlap - lifetime` after its last
     * read (so one slow or missed read never stops it), then refuses (503) the routes that need the assertion.
     */
    overlap: durationMs.default(600_000),
  }).prefault({}),
}).superRefine((s, ctx) => {
  if (s.keys.overlap < 2 * s.keys.refresh_interval + s.lifetime) {
    ctx.addIssue({ code: 'custom', path: ['keys', 'overlap'], message: 'expected at least lifetime + 2 x keys.refresh_interval (a retired key must outlive the assertions it signed, and one slow read of the keys must not stop signing)' });
  }
}).prefault({});

/** `routes[].signed_identity`: true/false, or a block (present means on unless `enabled: false`). */
export const routeSignedIdentitySchema = z.union([
  z.boolean(),
  z.strictObject({
    enabled: z.boolean().default(true),
    /** The `aud` claim; default: the route's upstream URL as written in `upstreams` (its origin and path). */
    audience: z.string().min(1).max(512).optional(),
  }),
], { error: 'expected true, false or { enabled?, audience? }' });

export type SignedIdentityConfig = z.output<typeof signedIdentitySchema>;
export type RouteSignedIdentity = z.output<typeof routeSignedIdentitySchema>;
