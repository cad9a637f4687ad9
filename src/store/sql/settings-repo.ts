import { createHash } from 'node:crypto';
import type { AttemptWindow, LoginAttemptsRepo, SettingsRepo } from '../store.js';
import type { RepoContext } from './repo-context.js';
import { ms, placeholders, toDate } from './rows.js';

/** Shared key/value settings over any SQL driver. */
export function settingsRepo(ctx: RepoContext): SettingsRepo {
  const { q, dialect } = ctx;
  const get = async (key: string): Promise<string | null> => {
    const rows = await q.all('SELECT value FROM settings WHERE key_name = ?', [key]);
    return rows[0] ? String(rows[0].value) : null;
  };
  return {
    get,
    async putIfAbsent(key: string, value: string): Promise<string> {
      // Two replicas racing both insert-or-ignore; both then read the one row that won.
      await q.run(dialect.insertIgnore('settings', ['key_name', 'value', 'created_at'], 1), [key, value, ctx.now()]);
      const winner = await get(key);
      return winner ?? value;
    },
  };
}

/**
 * The stored form of a throttle key: its SHA-256, hex. Keys carry addresses of up to 320 characters (and more
 * with a prefix), which overflowed MySQL's indexed VARCHAR(255); a digest fits every driver, and the table holds no
 * address in clear.
 */
export function storedAttemptKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Fixed-window login failure counters over any SQL driver. */
export function loginAttemptsRepo(ctx: RepoContext): LoginAttemptsRepo {
  const { q, dialect } = ctx;
  const read = async (tq: typeof q, keys: readonly string[], cutoff: number): Promise<Map<string, AttemptWindow>> => {
    const found = new Map<string, AttemptWindow>();
    if (keys.length === 0) return found;
    const byStored = new Map(keys.map((k) => [storedAttemptKey(k), k]));
    const rows = await tq.all(
      `SELECT attempt_key, failures, window_start, last_failure_at FROM login_attempts
       WHERE attempt_key IN (${placeholders(byStored.size)}) AND window_start > ?`,
      [...byStored.keys(), cutoff],
    );
    for (const r of rows) {
      const key = byStored.get(String(r.attempt_key));
      if (key === undefined) continue;
      found.set(key, { failures: Number(r.failures), windowStart: toDate(r.window_start), lastFailureAt: toDate(r.last_failure_at) });
    }
    return found;
  };
  const counts = (keys: readonly string[], windows: Map<string, AttemptWindow>): Map<string, number> =>
    new Map(keys.map((k) => [k, windows.get(k)?.failures ?? 0]));
  return {
    async increment(keys: readonly string[], windowMs: number, now?: Date): Promise<Map<string, number>> {
      const unique = [...new Set(keys)];
      if (unique.length === 0) return new Map();
      const t = now ? ms(now) : ctx.now();
      const cutoff = t - windowMs;
      return ctx.atomic(async (tq) => {
        await tq.runMany(
          `INSERT INTO login_attempts (attempt_key, window_start, failures, last_failure_at) VALUES (?, ?, 1, ?) ${dialect.upsertFailures}`,
          unique.map((k) => [storedAttemptKey(k), t, t, cutoff, cutoff, t, t]),
        );
        return counts(unique, await read(tq, unique, cutoff));
      });
    },
    async get(keys: readonly string[], windowMs: number, now?: Date): Promise<Map<string, number>> {
      const t = now ? ms(now) : ctx.now();
      const unique = [...new Set(keys)];
      return counts(unique, await read(q, unique, t - windowMs));
    },
    async windows(keys: readonly string[], windowMs: number, now?: Date): Promise<Map<string, AttemptWindow>> {
      const t = now ? ms(now) : ctx.now();
      return read(q, [...new Set(keys)], t - windowMs);
    },
    async claim(key: string, expected: Date, now?: Date): Promise<boolean> {
      const t = now ? ms(now) : ctx.now();
      const changed = await q.run(
        'UPDATE login_attempts SET last_failure_at = ? WHERE attempt_key = ? AND last_failure_at = ?',
        [t, storedAttemptKey(key), expected.getTime()],
      );
      return changed === 1;
    },
    async clear(key: string): Promise<void> {
      await q.run('DELETE FROM login_attempts WHERE attempt_key = ?', [storedAttemptKey(key)]);
    },
    async prune(windowMs: number, now?: Date): Promise<number> {
      const t = now ? ms(now) : ctx.now();
      return q.run('DELETE FROM login_attempts WHERE window_start <= ?', [t - windowMs]);
    },
  };
}
