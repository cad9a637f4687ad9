import { randomBytes } from 'node:crypto';
import type { SessionsConfig } from './config-schema.js';
import type { SettingsRepo } from '../store/store.js';
import type { TokenKey } from './token.js';

const GENERATED_KEY_SETTING = 'session_token_key';
const GENERATED_KEY_ID = 'g1';

/** The signing key (first) and every key that verifies, from config or, when none is configured, from the store. */
export interface TokenKeyRing {
  readonly signing: TokenKey;
  readonly verifying: ReadonlyMap<string, TokenKey>;
}

/**
 * Loads the token keys. Configured keys win (newest first). Without any, one random key is generated and kept in
 * the store's settings with put-if-absent, so every replica sharing the database ends up with the same key and a
 * newcomer configures nothing.
 */
export async function loadTokenKeys(config: SessionsConfig, settings: SettingsRepo): Promise<TokenKeyRing> {
  let keys: TokenKey[] = config.token_keys.map((k) => ({ id: k.id, secret: Buffer.from(k.secret, 'utf8') }));
  if (keys.length === 0) {
    const stored = await settings.putIfAbsent(GENERATED_KEY_SETTING, randomBytes(32).toString('base64'));
    keys = [{ id: GENERATED_KEY_ID, secret: Buffer.from(stored, 'base64') }];
  }
  return { signing: keys[0]!, verifying: new Map(keys.map((k) => [k.id, k])) };
}
