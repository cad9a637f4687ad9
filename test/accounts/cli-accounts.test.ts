// The operators' account commands as a person runs them: `gatehouse user set-password --email E --password-stdin`
// sets the password (refusing a weak one), ends every session and voids pending reset links; `user verify-email`
// marks the address confirmed; `user reset-mfa` removes every second factor; `templates --out` writes the built-in
// templates. Against a real SQLite file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verify } from '@node-rs/argon2';
import { runCli, tempDir, writeYaml } from '../helpers/core-cli.js';
import { openStore } from '../../src/store/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { parseConfigText } from '../../src/config/index.js';
import { mintAccountToken } from '../../src/accounts/account-token.js';
import { stringify } from 'yaml';

test('user set-password, verify-email, reset-mfa; templates --out', { timeout: 300_000 }, async () => {
  const tmp = tempDir('gh-cli-accounts-');
  try {
    const object = {
      upstreams: { app: { url: 'http://127.0.0.1:9' } }, routes: [{ name: 'all', match: { path: '/' }, policy: 'authenticated', upstream: 'app' }],
      storage: { driver: 'sqlite', sqlite: { path: join(tmp.dir, 'gh.db') } },
      auth: { hash: { memory_kib: 8192, iterations: 1 } },
    };
    const config = writeYaml(join(tmp.dir, 'gatehouse.yaml'), object);
    const added = await runCli(['user', 'add', '--config', config, '--email', 'ops@example.test', '--password-stdin'], { input: 'the first passphrase\n', timeoutMs: 60_000 });
    assert.equal(added.code, 0, added.stderr);
    const id = (JSON.parse(added.stdout) as { id: string }).id;

    const store = await openStore(parseConfigText(stringify(object), {}).storage, { logger: silentLogger() });
    try {
      await store.sessions.create({ id: 'a'.repeat(64), userId: id, expiresAt: new Date(Date.now() + 60_000), idleExpiresAt: new Date(Date.now() + 60_000) });
      const reset = mintAccountToken();
      await store.accountTokens.create({ id: reset.id, purpose: 'reset_password', userId: id, email: 'ops@example.test', expiresAt: new Date(Date.now() + 60_000) });

      const weak = await runCli(['user', 'set-password', '--config', config, '--email', 'ops@example.test', '--password-stdin'], { input: 'short\n', timeoutMs: 60_000 });
      assert.equal(weak.code, 1);
      assert.match(weak.stderr, /password refused: password must be at least 8 characters/);
      const noStdin = await runCli(['user', 'set-password', '--config', config, '--email', 'ops@example.test'], { timeoutMs: 60_000 });
      assert.equal(noStdin.code, 2, 'a usage error without --password-stdin');
      const missing = await runCli(['user', 'set-password', '--config', config, '--email', 'nobody@example.test', '--password-stdin'], { input: 'a fine passphrase\n', timeoutMs: 60_000 });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no user with email nobody@example\.test/);

      const set = await runCli(['user', 'set-password', '--config', config, '--email', 'OPS@example.test', '--password-stdin'], { input: 'the second passphrase\n', timeoutMs: 60_000 });
      assert.equal(set.code, 0, set.stderr);
      assert.deepEqual(JSON.parse(set.stdout), { id, email: 'ops@example.test', password_set: true, sessions_ended: 1 });
      const user = await store.users.get(id);
      assert.equal(await verify(user!.passwordHash!, 'the second passphrase'), true);
      assert.equal(await verify(user!.passwordHash!, 'the first passphrase'), false);
      assert.ok((await store.sessions.get('a'.repeat(64)))?.revokedAt, 'the session ended');
      assert.equal(await store.accountTokens.consume(reset.id, 'reset_password'), null, 'the pending reset link stopped working');

      assert.equal(user!.emailVerifiedAt, null);
      const verified = await runCli(['user', 'verify-email', '--config', config, '--email', 'ops@example.test'], { timeoutMs: 60_000 });
      assert.equal(verified.code, 0, verified.stderr);
      assert.ok((await store.users.get(id))?.emailVerifiedAt);

      // reset-mfa: every second factor goes (the authenticator app, passkeys, recovery codes).
      await store.mfa.putPendingTotp(id, 'sealed');
      await store.mfa.confirmTotp(id, 1);
      await store.mfa.replaceRecoveryCodes(id, ['h1', 'h2']);
      await store.mfa.addCredential({ id: 'cred-1', userId: id, name: 'Key', publicKey: 'pk', counter: 0, transports: [], deviceType: 'singleDevice', backedUp: false, passwordless: false });
      const resetMfa = await runCli(['user', 'reset-mfa', '--config', config, '--email', 'ops@example.test'], { timeoutMs: 60_000 });
      assert.equal(resetMfa.code, 0, resetMfa.stderr);
      assert.deepEqual(JSON.parse(resetMfa.stdout).removed, { totp: 1, passkeys: 1, recovery_codes: 2 });
      assert.equal(await store.mfa.getTotp(id), null);
      assert.deepEqual(await store.mfa.listCredentials(id), []);
      assert.equal(await store.mfa.countRecoveryCodes(id), 0);

      // templates --out: every built-in template, ready to edit; never over an existing file.
      const out = join(tmp.dir, 'templates');
      const written = await runCli(['templates', '--out', out], { timeoutMs: 60_000 });
      assert.equal(written.code, 0, written.stderr);
      assert.match(readFileSync(join(out, 'pages', 'login.mustache'), 'utf8'), /action="\/\.gatehouse\/login"/);
      assert.match(readFileSync(join(out, 'mail', 'reset-password.txt.mustache'), 'utf8'), /\{\{link\}\}/);
      const again = await runCli(['templates', '--out', out], { timeoutMs: 60_000 });
      assert.equal(again.code, 1);
      assert.match(again.stderr, /not overwriting/);
    } finally {
      await store.close();
    }
  } finally {
    tmp.cleanup();
  }
});
