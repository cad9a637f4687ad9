import { z } from 'zod';
import { durationMs } from '../config/schema-helpers.js';

/** The `sessions:` section: cookie, lifetimes, cache, token keys. */
export const sessionsSchema = z.strictObject({
  cookie: z.strictObject({
    /**
     * `__Host-` cookies must be Secure with Path=/ and no Domain (RFC 6265bis §4.1.3.2): nothing else can set them.
     * Default `__Host-gatehouse`, or `__Secure-gatehouse` when `domain` is set (a `__Host-` cookie cannot carry one).
     */
    name: z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'expected a cookie name (RFC 6265 token)').optional(),
    /**
     * Share the session with subdomains (forward-auth in front of several hosts, docs/forward-auth.md): the cookie
     * gets `Domain=<domain>`, so every host under it sends it. Unset: the cookie stays on Gatehouse's own host.
     */
    domain: z.string().regex(/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/, 'expected a lower-case DNS name such as "example.com" (no scheme, port or leading dot)').optional(),
    same_site: z.enum(['lax', 'strict', 'none']).default('lax'),
    /** Only for plain-http development on a host other than localhost: browsers drop Secure cookies over http. */
    secure: z.boolean().default(true),
  }).prefault({}).transform((cookie) => ({ ...cookie, name: cookie.name ?? (cookie.domain === undefined ? '__Host-gatehouse' : '__Secure-gatehouse') })),
  /** Absolute lifetime: a session ends this long after login whatever happens. */
  lifetime: durationMs.default(7 * 24 * 3_600_000),
  /** Idle timeout: a session unused this long ends. */
  idle_timeout: durationMs.default(24 * 3_600_000),
  /** Write a session's and user's last-seen at most once per this interval. */
  last_seen_interval: durationMs.default(5 * 60_000),
  cache: z.strictObject({
    max_entries: z.number().int().positive().default(100_000),
    /** How long a validated session is trusted without the store: bounds how late a revocation on another replica bites. */
    ttl: durationMs.default(30_000),
    /** Well-formed tokens the store does not know are remembered this long, so a flood of them costs one read each. */
    negative_ttl: durationMs.default(60_000),
    negative_max_entries: z.number().int().positive().default(10_000),
  }).prefault({}),
  /**
   * Keys that MAC session tokens, newest first: the first signs, all verify (rotation). Use ${ENV}. When empty,
   * Gatehouse generates one and keeps it in the store, so replicas share it and a newcomer configures nothing.
   */
  token_keys: z.array(z.strictObject({
    id: z.string().regex(/^[A-Za-z0-9]{1,16}$/, 'expected 1-16 letters or digits'),
    secret: z.string().min(32, 'expected at least 32 characters of secret'),
  })).default([]),
  /** How often expired sessions are deleted. */
  sweep_interval: durationMs.default(10 * 60_000),
}).superRefine((sessions, ctx) => {
  // Browsers drop a __Host-/__Secure- cookie that is not Secure, so this combination would silently log nobody in.
  if (!sessions.cookie.secure && /^__(Host|Secure)-/i.test(sessions.cookie.name)) {
    ctx.addIssue({ code: 'custom', path: ['cookie', 'name'], message: `a cookie named "${sessions.cookie.name}" must be Secure: with cookie.secure false, pick a name without the __Host-/__Secure- prefix` });
  }
  // RFC 6265bis §4.1.3.2: a __Host- cookie with a Domain attribute is refused by browsers, so nobody could sign in.
  if (sessions.cookie.domain !== undefined && /^__Host-/i.test(sessions.cookie.name)) {
    ctx.addIssue({ code: 'custom', path: ['cookie', 'name'], message: `a cookie named "${sessions.cookie.name}" cannot carry cookie.domain (browsers refuse a __Host- cookie with a Domain): use a __Secure- name, the default when domain is set` });
  }
  if (sessions.idle_timeout > sessions.lifetime) {
    ctx.addIssue({ code: 'custom', path: ['idle_timeout'], message: 'expected an idle timeout no longer than the lifetime' });
  }
}).prefault({});

export type SessionsConfig = z.output<typeof sessionsSchema>;
