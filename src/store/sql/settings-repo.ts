import type { LoginAttemptsRepo, SettingsRepo } from '../store.js';
import type { RepoContext } from './repo-context.js';
import { ms, placeholders } from './rows.js';

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

/** Fixed-window login failure counters over any SQL driver. */
export function loginAttemptsRepo(ctx: RepoContext): LoginAttemptsRepo {
  const { q, dialect } = ctx;
  const read = async (tq: typeof q, keys: readonly string[], cutoff: number): Promise<Map<string, number>> => {
    const counts = new Map<string, number>(keys.map((k) => [k, 0]));
    if (keys.length === 0) return counts;
    const rows = await tq.all(
      `SELECT attempt_key, failures FROM login_attempts WHERE attempt_key IN (${placeholders(keys.length)}) AND window_start > ?`,
      [...keys, cutoff],
    );
    for (const r of rows) counts.set(String(r.attempt_key), Number(r.failures));
    return counts;
  };
  return {
    async increment(keys: readonly string[], windowMs: number, now?: Date): Promise<Map<string, number>> {
      const unique = [...new Set(keys)];
      if (unique.length === 0) return new Map();
      const t = now ? ms(now) : ctx.now();
      const cutoff = t - windowMs;
      return ctx.atomic(async (tq) => {
        await tq.runMany(
          `INSERT INTO login_attempts (attempt_key, window_start, failures) VALUES (?, ?, 1) ${dialect.upsertFailures}`,
          unique.map((k) => [k, t, cutoff, cutoff, t]),
        );
        return read(tq, unique, cutoff);
      });
    },
    async get(keys: readonly string[], windowMs: number, now?: Date): Promise<Map<string, number>> {
      const t = now ? ms(now) : ctx.now();
      return read(q, [...new Set(keys)], t - windowMs);
    },
    async clear(key: string): Promise<void> {
      await q.run('DELETE FROM login_attempts WHERE attempt_key = ?', [key]);
    },
    async prune(windowMs: number, now?: Date): Promise<number> {
      const t = now ? ms(now) : ctx.now();
      return q.run('DELETE FROM login_attempts WHERE window_start <= ?', [t - windowMs]);
    },
  };
}
