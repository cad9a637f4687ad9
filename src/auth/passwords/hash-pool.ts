/**
 * The password hash pool: Argon2id off the event loop, behind admission control (the story's fixes 1 and 4).
 *
 * - Work runs on the pool's own worker threads (hash-threads.ts, hash-worker.ts), one per permit, each of which lowers
 *   its own OS priority (`nice`, default 19) before its first hash: under a login storm the kernel runs request
 *   handling first and Argon2 takes the CPU that requests leave idle (issue 13, section 2; the login-storm bench
 *   measures it). The main thread only parses PHC strings; the Sync variants run only in those threads.
 * - A semaphore of `concurrency` permits bounds how many run at once (more than the cores would only make each
 *   slower); `queue` callers may wait up to `queue_timeout` for a permit; anyone else is refused at once with
 *   GATE_ERR_HASH_POOL_FULL (429), so a login storm is shed instead of piling up behind itself.
 * - Argon2 no longer runs on libuv's pool, so fs and dns never wait behind a hash there; the entry point still sizes
 *   UV_THREADPOOL_SIZE with `threadPoolSizeFor` (harmless headroom, and what the Helm chart sets).
 */
import { randomBytes } from 'node:crypto';
import { parseOptions, type Algorithm, type Options, type Version } from '@node-rs/argon2';
import type { AuthConfig } from '../config-schema.js';
import { GatehouseError } from '../../errors/index.js';
import type { Logger } from '../../log/logger.js';
import type { Metrics } from '../../metrics/metrics.js';
import { TRACING_OFF, type Tracing } from '../../tracing/tracing.js';
import { Semaphore, isSemaphoreError, type Release } from '../../admission/semaphore.js';
import { createHashThreads, type HashThreadInfo } from './hash-threads.js';

// @node-rs/argon2 declares these as ambient const enums (no runtime object), so the values are spelled out.
const ARGON2ID = 2 as Algorithm;
const VERSION_0X13 = 1 as Version;
/** Bytes of Argon2 output, the library's default (43 base64 characters in the PHC string). */
const OUTPUT_LEN = 32;
/** libuv caps its thread pool at 1024 threads. */
const LIBUV_MAX_THREADS = 1024;
/** libuv's default thread pool size when UV_THREADPOOL_SIZE is unset. */
const LIBUV_DEFAULT_THREADS = 4;

export type HashPoolMetrics = Pick<Metrics,
  'hashPoolSize' | 'hashPoolInUse' | 'hashPoolQueueDepth' | 'hashPoolSaturation' | 'hashPoolRejected' | 'hashDuration'> & { readonly tracing?: Tracing };

export interface HashPoolOptions {
  config: AuthConfig['hash'];
  metrics: HashPoolMetrics;
  /** Told when a hashing thread cannot lower its priority or stops. */
  logger?: Logger;
}

/** Counters since the pool was built, for tests and the benchmark. */
export interface HashPoolStats {
  size: number;
  inUse: number;
  queueDepth: number;
  queueCapacity: number;
  /** Operations that ran to completion (either result). */
  completed: number;
  /** Refused at once: no permit and no queue place (also counted in gatehouse_hash_pool_rejected_total). */
  rejected: number;
  /** Waited in the queue for `queue_timeout` without a permit (answered 429 too). */
  timedOut: number;
}

export interface HashPool {
  /**
   * Throws GATE_ERR_HASH_POOL_FULL (counted) when no permit and no queue place is free right now: a login checks
   * this before any store read, so a refused attempt in a storm costs almost nothing. verify() still decides.
   */
  rejectIfFull(): void;
  /** Hashes a new password with the current parameters (PHC string). Rejects with GATE_ERR_HASH_POOL_FULL when saturated. */
  hash(password: string, signal?: AbortSignal): Promise<string>;
  /** Checks a password against a stored hash. Rejects with GATE_ERR_HASH_POOL_FULL when saturated. */
  verify(hash: string, password: string, signal?: AbortSignal): Promise<boolean>;
  /** Whether a stored hash was made with other parameters (or another algorithm) and should be replaced on login. */
  needsRehash(hash: string): boolean;
  /**
   * Verifies against a fixed hash with the current parameters and answers false: the same work as a real verify,
   * so a login for an unknown email costs the same time as one with a wrong password.
   */
  dummyVerify(password: string, signal?: AbortSignal): Promise<false>;
  stats(): HashPoolStats;
  /** The hashing threads started so far and the nice value each runs at (tests, diagnostics). */
  threads(): HashThreadInfo[];
  /** Stops the hashing threads (idle ones never keep the process alive; this is for an orderly stop). */
  close(): Promise<void>;
}

/**
 * The UV_THREADPOOL_SIZE a process needs for a pool of `concurrency`: one thread per permit plus two for the fs and
 * dns work that shares libuv's pool, never below libuv's default of 4 nor above its cap of 1024.
 */
export function threadPoolSizeFor(concurrency: number): number {
  return Math.min(LIBUV_MAX_THREADS, Math.max(LIBUV_DEFAULT_THREADS, concurrency + 2));
}

/**
 * Prepares a password for Argon2: Unicode NFKC, as NIST SP 800-63B §5.1.1.2 recommends, so the same password typed
 * on two keyboards (composed or decomposed accents, full-width forms) verifies. Never truncated: Argon2 takes any
 * length (unlike bcrypt's 72 bytes); the policy caps new passwords at 1024 characters.
 */
export function preparePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Builds the pool; see the file comment. */
export function createHashPool(options: HashPoolOptions): HashPool {
  const { config, metrics } = options;
  const argonOptions: Options = {
    algorithm: ARGON2ID,
    version: VERSION_0X13,
    memoryCost: config.memory_kib,
    timeCost: config.iterations,
    parallelism: config.parallelism,
    outputLen: OUTPUT_LEN,
  };
  const semaphore = new Semaphore({
    size: config.concurrency,
    queue: config.queue,
    onChange: (s) => {
      metrics.hashPoolInUse.set(s.inUse);
      metrics.hashPoolQueueDepth.set(s.queueDepth);
      metrics.hashPoolSaturation.set(s.inUse / s.size);
    },
  });
  metrics.hashPoolSize.set(config.concurrency);
  const threads = createHashThreads({
    size: config.concurrency, nice: config.nice, options: argonOptions, ...(options.logger ? { logger: options.logger } : {}),
  });

  // A well-formed PHC string with the current parameters and random salt and output: verifying against it costs
  // exactly a real verify (the cost depends only on m, t, p and the output length) and cannot succeed.
  const b64 = (n: number): string => randomBytes(n).toString('base64').replace(/=+$/, '');
  const dummyHash = `$argon2id$v=19$m=${config.memory_kib},t=${config.iterations},p=${config.parallelism}$${b64(16)}$${b64(OUTPUT_LEN)}`;

  let completed = 0;
  let rejected = 0;
  let timedOut = 0;

  async function admit(signal: AbortSignal | undefined): Promise<Release> {
    try {
      return await semaphore.acquire(config.queue_timeout, signal);
    } catch (err) {
      if (isSemaphoreError(err, 'SEMAPHORE_QUEUE_FULL')) {
        rejected++;
        metrics.hashPoolRejected.inc();
        throw new GatehouseError('GATE_ERR_HASH_POOL_FULL', undefined, { detail: err.message, cause: err, retryable: true });
      }
      if (isSemaphoreError(err, 'SEMAPHORE_TIMEOUT')) {
        timedOut++;
        throw new GatehouseError('GATE_ERR_HASH_POOL_FULL', undefined, { detail: err.message, cause: err, retryable: true });
      }
      throw err; // aborted: the caller went away; nothing to answer
    }
  }

  async function run<T>(operation: 'hash' | 'verify', signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    // Two spans when tracing is on: the wait for a permit, then the Argon2 work on the thread pool.
    const tracing = metrics.tracing ?? TRACING_OFF;
    const endWait = tracing.start('hash pool wait');
    let release: Release;
    try {
      release = await admit(signal);
    } catch (err) {
      endWait(err);
      throw err;
    }
    endWait();
    const endHash = tracing.start(`password ${operation}`, { 'gatehouse.argon2.memory_kib': config.memory_kib });
    const end = metrics.hashDuration.startTimer({ operation });
    try {
      const value = await work();
      endHash();
      return value;
    } catch (err) {
      endHash(err);
      throw err;
    } finally {
      end();
      completed++;
      release();
    }
  }

  async function verifyWith(stored: string, password: string, signal: AbortSignal | undefined): Promise<boolean> {
    return run('verify', signal, async () => {
      try {
        return await threads.run({ op: 'verify', hash: stored, password: preparePassword(password) }) as boolean;
      } catch (err) {
        // Only an unreadable stored hash gets here (a wrong password is `false`): a data problem, not the caller's.
        throw new GatehouseError('GATE_ERR_INTERNAL', undefined, { detail: `password hash could not be verified: ${String(err)}`, cause: err });
      }
    });
  }

  return {
    rejectIfFull() {
      const s = semaphore.state();
      if (s.inUse < s.size || s.queueDepth < s.queueCapacity) return;
      rejected++;
      metrics.hashPoolRejected.inc();
      throw new GatehouseError('GATE_ERR_HASH_POOL_FULL', undefined, { detail: 'no permit and no queue place', retryable: true });
    },
    hash: (password, signal) => run('hash', signal, async () => await threads.run({ op: 'hash', password: preparePassword(password) }) as string),
    verify: (stored, password, signal) => verifyWith(stored, password, signal),
    async dummyVerify(password, signal) {
      await verifyWith(dummyHash, password, signal);
      return false;
    },
    needsRehash(stored) {
      try {
        const p = parseOptions(stored);
        return p.algorithm !== ARGON2ID || p.version !== VERSION_0X13 || p.memoryCost !== config.memory_kib ||
          p.timeCost !== config.iterations || p.parallelism !== config.parallelism || p.outputLen !== OUTPUT_LEN;
      } catch {
        return true; // not an Argon2 PHC string at all (imported from elsewhere): replace it on the next login
      }
    },
    stats: () => ({ ...semaphore.state(), completed, rejected, timedOut }),
    threads: () => threads.info(),
    close: () => threads.close(),
  };
}
