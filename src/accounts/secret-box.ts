import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from '../log/logger.js';
import type { SettingsRepo } from '../store/store.js';
import type { AccountsConfig } from './config-schema.js';

const GENERATED_KEY_SETTING = 'accounts_encryption_key';
const VERSION = 'g1';

/** Seals and opens small secrets at rest (TOTP secrets, queued mail): AES-256-GCM with a random 96-bit IV. */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  /** Throws when the text was not sealed by this key for this context (tampered, moved, or another key). */
  open(sealed: string, context: string): string;
}

/**
 * Loads the accounts encryption key: `accounts.encryption_key`, or the file named by `encryption_key_file`, or,
 * when neither is set, a random key kept in the store's settings (put-if-absent, so replicas agree) with a warning:
 * a database copy then holds both the secrets and their key. The AES key is derived with HKDF-SHA256 (RFC 5869),
 * so any long passphrase works as key material.
 */
export async function loadSecretBox(config: AccountsConfig, settings: SettingsRepo, logger: Logger): Promise<SecretBox> {
  let material: string;
  if (config.encryption_key !== undefined) material = config.encryption_key;
  else if (config.encryption_key_file !== undefined) material = readFileSync(config.encryption_key_file, 'utf8').trim();
  else {
    material = await settings.putIfAbsent(GENERATED_KEY_SETTING, randomBytes(32).toString('base64'));
    logger.warn('accounts.encryption_key is not set: TOTP secrets and queued mail are sealed with a key kept in the database; set accounts.encryption_key (or encryption_key_file) so a database copy alone cannot open them');
  }
  if (material.length < 32) throw new TypeError('accounts.encryption_key_file: expected at least 32 characters');
  return secretBoxFromKey(material);
}

/** A box over key material (exported for tests and the CLI). */
export function secretBoxFromKey(material: string): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(material, 'utf8'), Buffer.alloc(0), 'gatehouse accounts secret box v1', 32));
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      // The context (e.g. "totp:<user id>") is authenticated data: a sealed secret copied to another row fails to open.
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return `${VERSION}.${iv.toString('base64url')}.${Buffer.concat([body, cipher.getAuthTag()]).toString('base64url')}`;
    },
    open(sealed, context) {
      const [version, ivText, bodyText] = sealed.split('.');
      if (version !== VERSION || ivText === undefined || bodyText === undefined) throw new TypeError('not a sealed secret');
      const body = Buffer.from(bodyText, 'base64url');
      if (body.length < 16) throw new TypeError('not a sealed secret');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
    },
  };
}
