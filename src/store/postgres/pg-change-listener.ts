import pg from 'pg';
import type { Logger } from '../../log/logger.js';
import type { ChangeListener, ChangeSubscription } from '../store.js';
import { CHANGE_CHANNEL } from '../sql/changes-repo.js';

/**
 * LISTENs for change notifications on one dedicated connection (a pooled one would drop the LISTEN when returned).
 * When the connection is lost it reconnects with capped exponential backoff and, once listening again, calls
 * `onReconnect` so the caller can assume it missed notifications (and catch up from the feed).
 */
export async function listenForChanges(url: string, connectTimeoutMs: number, listener: ChangeListener, logger: Logger): Promise<ChangeSubscription> {
  let client: pg.Client | undefined;
  let closed = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (isReconnect: boolean): Promise<void> => {
    const next = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true });
    next.on('notification', (message) => {
      if (message.channel === CHANGE_CHANNEL) listener.onNotify();
    });
    next.on('error', (err) => {
      logger.warn({ err: err.message }, 'change listener connection failed; reconnecting');
      lost(next);
    });
    next.on('end', () => lost(next));
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (err) {
      next.removeAllListeners('end');
      await next.end().catch(() => undefined);
      throw err;
    }
    if (closed) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    failures = 0;
    if (isReconnect) {
      logger.info('change listener reconnected');
      listener.onReconnect();
    }
  };

  const lost = (which: pg.Client): void => {
    if (client !== which || closed) return;
    client = undefined;
    which.removeAllListeners('end');
    void which.end().catch(() => undefined);
    schedule();
  };

  const schedule = (): void => {
    if (closed || timer !== undefined) return;
    const delay = Math.min(5_000, 100 * 2 ** failures) * (0.5 + Math.random() / 2);
    failures++;
    timer = setTimeout(() => {
      timer = undefined;
      connect(true).catch((err: Error) => {
        logger.debug({ err: err.message }, 'change listener reconnect failed');
        schedule();
      });
    }, delay);
    timer.unref();
  };

  try {
    await connect(false);
  } catch (err) {
    // The database may be down at start: keep trying in the background; polling covers the gap.
    logger.warn({ err: (err as Error).message }, 'change listener could not connect; retrying');
    schedule();
  }
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners('end');
        await c.end().catch(() => undefined);
      }
    },
  };
}
