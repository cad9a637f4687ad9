import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { durationMs } from '../config/schema-helpers.js';
import { checkProviders, oauthProviderSchema } from './oauth/config-schema.js';

/** The `auth:` section: local accounts, the password hash pool, throttling, and where redirects may go. */
export const authSchema = z.strictObject({
  local: z.strictObject({
    /** Offer email + password login. */
    enabled: z.boolean().default(true),
    /** `open` lets anyone create an account with POST /.gatehouse/register; `closed` leaves it to the CLI. */
    registration: z.enum(['open', 'closed']).default('closed'),
    password_min_length: z.number().int().min(8, 'expected at least 8 (OWASP ASVS 2.1.1)').max(128).default(8),
    /**
     * New accounts get a verification link; until it is used they may sign in, but upstreams see
     * X-Auth-Email-Verified: false and `verified_email` policies refuse them. Default: on when registration is open.
     */
    require_verified_email: z.boolean().optional(),
  }).prefault({}),
  hash: z.strictObject({
    /** Argon2id memory cost in KiB (OWASP: 19456). */
    memory_kib: z.number().int().min(8192).max(4_194_304).default(19_456),
    /** Argon2id passes (OWASP: 2). */
    iterations: z.number().int().min(1).max(20).default(2),
    parallelism: z.number().int().min(1).max(16).default(1),
    /** Hashes allowed to run at once; default: the number of cores. */
    concurrency: z.number().int().positive().max(256).default(availableParallelism()),
    /** Password operations that may wait for a permit; past it, 429 at once. */
    queue: z.number().int().min(0).max(10_000).default(availableParallelism() * 2),
    /** Longest wait for a permit before answering 429. */
    queue_timeout: durationMs.default(2_000),
    /**
     * OS priority (nice, 0-19) of the hashing threads: 19, the lowest, lets request handling run first and hashing
     * use the CPU it leaves idle; 0 makes them compete with requests as equals. Linux and macOS.
     */
    nice: z.number().int().min(0).max(19).default(19),
  }).prefault({}),
  /** Brute-force throttling (auth/login-throttle.ts; README "Security: logins"): per IP, then a paced account, never a lock. */
  throttle: z.strictObject({
    /** Failed logins per account (canonical email) per window before further attempts are paced (not refused). */
    max_failures_per_account: z.number().int().positive().default(10),
    /** Failed logins per client IP per window before 429 until the window ends. */
    max_failures_per_ip: z.number().int().positive().default(50),
    window: durationMs.default(15 * 60_000),
    /** Past the account's limit: the pause between attempts, doubling with each failure... */
    account_delay: durationMs.default(1_000),
    /** ...up to this. */
    account_delay_max: durationMs.default(60_000),
    /**
     * A browser that signed in to the account before gets a device cookie (OWASP "device cookies") and is not
     * paced by strangers' failures; false turns device cookies off.
     */
    device_cookies: z.boolean().default(true),
    /** How long a device cookie is good for. */
    device_cookie_lifetime: durationMs.default(180 * 24 * 3_600_000),
    /** Failures from one trusted device per window before it is paced like any other browser. */
    max_failures_per_device: z.number().int().positive().default(10),
  }).prefault({}),
  /** Hosts (exact, or "*.example.com") that `rd` may send the browser to after login or logout, besides this site. */
  allowed_redirect_hosts: z.array(z.string().min(1)).default([]),
  /** External identity providers (OpenID Connect, Google, GitHub): docs/oauth.md. */
  providers: z.array(oauthProviderSchema).default([]),
  /** A provider id: browsers that need a session go straight to it instead of the login page. */
  default_provider: z.string().min(1).optional(),
}).superRefine(checkProviders).prefault({});

export type AuthConfig = z.output<typeof authSchema>;
