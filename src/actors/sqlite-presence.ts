import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Logger } from '../log/logger.js';
import type { Actor } from './actor.js';

const HEARTBEAT_MS = 10_000;

/**
 * SQLite serves one replica. Two Gatehouse processes on one database file (two pods on a shared volume, a
 * forgotten process) would each keep their own session cache with no change feed between them worth trusting, so
 * each writes a heartbeat file beside the database and warns when it finds another live one.
 */
export function createSqlitePresence(databasePath: string, logger: Logger, now: () => number = Date.now): Actor {
  const file = `${databasePath}.gatehouse-presence`;
  const me = { pid: process.pid, host: hostname() };
  let timer: NodeJS.Timeout | undefined;
  let warned = false;

  const check = (): void => {
    try {
      const other = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; host: string; at: number };
      const live = now() - other.at < 3 * HEARTBEAT_MS;
      if (live && (other.pid !== me.pid || other.host !== me.host) && !warned) {
        warned = true;
        logger.warn({ database: databasePath, other }, 'another Gatehouse process is using this SQLite database: SQLite serves a single replica; use PostgreSQL or MySQL for several');
      }
    } catch {
      // No file yet, or unreadable: nobody else has announced themselves.
    }
    try {
      writeFileSync(file, JSON.stringify({ ...me, at: now() }));
    } catch {
      // A read-only location only loses the warning, never the service.
    }
  };

  return {
    name: 'sqlite-presence',
    start() {
      check();
      timer = setInterval(check, HEARTBEAT_MS);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      try {
        const mine = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; host: string };
        if (mine.pid === me.pid && mine.host === me.host) rmSync(file, { force: true });
      } catch {
        // Already gone.
      }
    },
  };
}
