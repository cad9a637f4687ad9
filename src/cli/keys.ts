import { loadSecretBox } from '../accounts/secret-box.js';
import { silentLogger } from '../log/logger.js';
import { SigningKeyRing } from '../signing/key-ring.js';
import { DEFAULT_CONFIG_PATH } from './check-config.js';
import { parseFlags, UsageError } from './flags.js';
import { openConfigStore } from './open-config-store.js';

const SUBCOMMANDS = ['rotate', 'list'] as const;

/**
 * `gatehouse keys rotate [--now]` and `gatehouse keys list`: the keys that sign identity assertions
 * (docs/signed-identity.md). A rotation adds the next key to the store; every replica reads it within
 * `signed_identity.keys.refresh_interval`. Without --now the new key is published at once and signs
 * `keys.jwks_max_age` later (verifiers caching the JWKS learn it first); with --now it signs at once (after a
 * compromise: verifiers that cache the JWKS learn it when they meet its kid). Either way the previous key stays in
 * the JWKS for `keys.overlap` after the new one starts signing.
 */
export async function keysCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || !(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`expected one of: ${SUBCOMMANDS.join(', ')}`);
  const { values } = parseFlags(rest, {
    config: { type: 'string' as const, default: DEFAULT_CONFIG_PATH },
    now: { type: 'boolean' as const, default: false },
  });
  if (sub === 'list' && values.now) throw new UsageError('--now applies to rotate only');
  const opened = await openConfigStore(String(values.config));
  if (!opened) return 1;
  const { config, store } = opened;
  try {
    const box = await loadSecretBox(config.accounts, store.settings, silentLogger());
    const ring = new SigningKeyRing({ keys: store.signingKeys, box, config: config.signed_identity, logger: silentLogger() });
    if (sub === 'rotate') {
      const list = await store.signingKeys.list();
      const result = await ring.rotate({ immediate: values.now === true, after: list });
      if (result.added === undefined) {
        console.error('gatehouse keys rotate: another replica rotated at the same moment; run `gatehouse keys list` and try again if needed');
        return 1;
      }
      console.log(JSON.stringify({ kid: result.added.kid, alg: result.added.alg, generation: result.added.generation, signs_from: result.activatesAt.toISOString() }));
      return 0;
    }
    const now = Date.now();
    for (const k of await store.signingKeys.list()) {
      console.log(JSON.stringify({ kid: k.kid, alg: k.alg, generation: k.generation, created_at: k.createdAt.toISOString(),
        signs_from: k.activatesAt.toISOString(), signing_from_now: k.activatesAt.getTime() <= now }));
    }
    return 0;
  } finally {
    await store.close();
  }
}
