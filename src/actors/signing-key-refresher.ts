/**
 * The signing key refresher (issue 17): every `signed_identity.keys.refresh_interval` it re-reads the signing keys
 * (so a rotation made by another replica or by `gatehouse keys rotate` reaches this one), rotates on schedule and
 * forgets keys past their overlap: all in SigningKeyRing.refresh. A failed read is logged once per failure streak
 * and tried again next round; past `overlap - lifetime` without a good read the ring stops signing (503).
 */
import type { Actor } from './actor.js';
import { pollingLoop } from './polling-loop.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { SigningKeyRing } from '../signing/key-ring.js';

export interface SigningKeyRefresher extends Actor {
  /** Reads the keys now (the timer does this on its own); resolves whether the read succeeded. Never rejects. */
  refresh(): Promise<boolean>;
}

/** Builds the refresher; `start` arms its timer. */
export function createSigningKeyRefresher(options: { ring: SigningKeyRing; intervalMs: number; logger: Logger; metrics: Metrics }): SigningKeyRefresher {
  const { ring, intervalMs, logger, metrics } = options;
  let failing = false;
  let ok = false;
  const loop = pollingLoop(intervalMs, async () => {
    try {
      await ring.refresh();
      if (failing) logger.info('signing keys read again');
      failing = false;
      ok = true;
    } catch (err) {
      if (!failing) logger.error({ err }, 'cannot read the signing keys; routes with signed_identity answer 503 once the keys in memory are too old to vouch for');
      failing = true;
      ok = false;
      metrics.signingKeyReadFailures.inc();
    }
    metrics.signingKeyUsable.set(ring.active() === undefined ? 0 : 1);
  });
  return {
    name: 'signing-key-refresher',
    refresh: async () => {
      await loop.wake();
      return ok;
    },
    start: () => loop.start(),
    stop: (deadlineMs) => loop.stop(deadlineMs),
  };
}
