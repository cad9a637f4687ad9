// Issue 13, section 4, for the account flows and the operator's commands: on SQLite every write transaction of
// registration (new and taken address), email verification, password reset (request and completion), password
// change, TOTP enrolment, recovery codes and removal, passkey add and remove, and `gatehouse user set-password` and
// `reset-mfa` reaches the writer thread as ONE message (a named operation: src/accounts/write-ops.ts,
// src/auth/write-ops.ts, src/cli/write-ops.ts), with every background write it caused (audit, mail sending) one
// message each too. Counted with the driver's own counters (store.writerStats); test/api/writer-messages.test.ts holds
// the control that shows the counter tells an interactive transaction apart.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { runUserCommand } from '../../src/cli/user.js';
import { sqliteDatabase } from '../store/databases.js';
import type { TestDatabase } from '../helpers/drivers.js';
import { send } from '../helpers/core-net.js';
import { linkIn } from '../helpers/smtp-capture.js';
import { oneMessagePerTransaction } from '../helpers/writer-messages.js';
import { PASSWORD, address, jsonLogin, startAccountsWorld, totpCode, type AccountsWorld } from './accounts-world.js';

/** A registration response from a software authenticator ("none" attestation, a fresh P-256 key), for `challenge`. */
function softPasskey(challenge: string, rpId: string, origin: string): Record<string, unknown> {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  const cose = isoCBOR.encode(new Map<number, number | Uint8Array>([
    [1, 2], [3, -7], [-1, 1], [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))], [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
  ]));
  const id = randomBytes(16);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(id.length);
  // rpIdHash, flags (user present, user verified, attested credential data), sign count, AAGUID, the credential.
  const authData = Buffer.concat([createHash('sha256').update(rpId).digest(), Buffer.from([0x45]), Buffer.alloc(4), Buffer.alloc(16), length, id, Buffer.from(cose)]);
  const attestationObject = isoCBOR.encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', new Uint8Array(authData)]]) as never);
  const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge, origin, crossOrigin: false }));
  return {
    id: id.toString('base64url'), rawId: id.toString('base64url'), type: 'public-key', clientExtensionResults: {},
    response: { clientDataJSON: clientDataJSON.toString('base64url'), attestationObject: Buffer.from(attestationObject).toString('base64url'), transports: ['internal'] },
  };
}

describe('SQLite: one writer message per write transaction of the account flows and the CLI', () => {
  let db: TestDatabase;
  let world: AccountsWorld;

  before(async () => {
    db = sqliteDatabase();
    world = await startAccountsWorld(db, { audit: { flush_interval: '20ms' } });
  });
  after(async () => {
    await world?.stop();
    await db?.drop();
  });

  const oneMessageEach = <T>(what: string, request: () => Promise<T>, atLeast = 1): Promise<T> => oneMessagePerTransaction(world.gh.store, 250)(what, request, atLeast);

  /** A JSON POST, with a bearer token when given. */
  const post = (path: string, body: Record<string, unknown>, token?: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> => send(world.gh.port, {
    method: 'POST', path, headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) }, body: JSON.stringify(body),
  });

  /** The session token a renewed session's cookie carries (a session that proved a new factor). */
  const renewed = (headers: Record<string, unknown>): string => {
    const cookie = ([] as string[]).concat((headers['set-cookie'] as string[] | string | undefined) ?? []).find((c) => c.startsWith('gh_session='));
    assert.ok(cookie, 'the session was renewed');
    return cookie.slice('gh_session='.length).split(';')[0]!;
  };

  async function signUp(label: string): Promise<{ email: string; token: string }> {
    const email = address(label);
    assert.equal((await post('/.gatehouse/register', { email, password: PASSWORD, name: label })).status, 202);
    const login = await jsonLogin(world.gh, email, PASSWORD);
    assert.ok(login.token, login.body);
    return { email, token: login.token };
  }

  test('registration (new and taken address), email verification, password reset and change', async () => {
    const email = address('reg');
    // The counter of "someone tried your address" notices, then the account with its verification link.
    await oneMessageEach('POST /register, a new address', async () => {
      assert.equal((await post('/.gatehouse/register', { email, password: PASSWORD, name: 'Reg' })).status, 202);
    }, 2);
    await oneMessageEach('POST /register, a taken address (the notice to its owner)', async () => {
      assert.equal((await post('/.gatehouse/register', { email, password: PASSWORD, name: 'Again' })).status, 202);
    }, 2);
    const first = linkIn(await world.smtp.waitFor(email, /Confirm your email/), 'verify-email');
    const login = await jsonLogin(world.gh, email, PASSWORD);
    assert.ok(login.token, login.body);
    await oneMessageEach('POST /verify-email/resend (a new link voids the older one)', async () => {
      assert.equal((await post('/.gatehouse/verify-email/resend', {}, login.token)).status, 202);
    }, 2);
    assert.equal((await post('/.gatehouse/verify-email', { token: first.searchParams.get('token') })).status, 400, 'the older link no longer works');
    const mails = world.smtp.to(email).filter((m) => /Confirm your email/.test(m.subject));
    const newest = mails.length > 1 ? mails.at(-1)! : await world.smtp.waitFor(email, /Confirm your email/);
    await oneMessageEach('POST /verify-email', async () => {
      const res = await post('/.gatehouse/verify-email', { token: linkIn(newest, 'verify-email').searchParams.get('token') });
      assert.equal(res.status, 200, res.body);
    });

    await oneMessageEach('POST /forgot-password (the link stored and mailed after the answer)', async () => {
      assert.equal((await post('/.gatehouse/forgot-password', { email })).status, 202);
      await world.gh.auth.selfService.deps.deferred.idle();
    }, 2);
    const reset = linkIn(await world.smtp.waitFor(email, /Reset your/), 'reset-password');
    await oneMessageEach('POST /reset-password', async () => {
      const res = await post('/.gatehouse/reset-password', { token: reset.searchParams.get('token'), password: 'a reset passphrase here' });
      assert.equal(res.status, 200, res.body);
    });
    const again = await jsonLogin(world.gh, email, 'a reset passphrase here');
    assert.ok(again.token, again.body);
    await oneMessageEach('POST /account/password', async () => {
      const res = await post('/.gatehouse/account/password', { current_password: 'a reset passphrase here', new_password: PASSWORD }, again.token);
      assert.equal(res.status, 200, res.body);
    });
  });

  test('TOTP enrolment, recovery codes and removal', async () => {
    const { token } = await signUp('totp');
    const page = await oneMessageEach('GET /account/totp (the pending secret)', () => send(world.gh.port, { path: '/.gatehouse/account/totp', headers: { authorization: `Bearer ${token}` } }));
    const secret = /<code class="code" id="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(page.body)![1]!.replace(/ /g, '');
    const confirmed = await oneMessageEach('POST /account/totp (confirmed: recovery codes and the notice)', async () => {
      const res = await post('/.gatehouse/account/totp', { code: totpCode(secret) }, token);
      assert.equal(res.status, 200, res.body);
      return renewed(res.headers);
    }, 3);
    await oneMessageEach('POST /account/recovery-codes', async () => {
      const res = await post('/.gatehouse/account/recovery-codes', {}, confirmed);
      assert.equal(res.status, 200, res.body);
    });
    await oneMessageEach('POST /account/totp/remove', async () => {
      const res = await post('/.gatehouse/account/totp/remove', {}, confirmed);
      assert.equal(res.status, 200, res.body);
    });
  });

  test('passkey add and remove', async () => {
    const { token } = await signUp('passkey');
    const started = await post('/.gatehouse/account/passkeys/options', {}, token);
    assert.equal(started.status, 200, started.body);
    const { options, handle } = JSON.parse(started.body) as { options: { challenge: string; rp: { id: string } }; handle: string };
    const response = softPasskey(options.challenge, options.rp.id, new URL(world.gh.config.server.public_url).origin);
    const withFactor = await oneMessageEach('POST /account/passkeys/add (the credential, recovery codes, the notice)', async () => {
      const res = await post('/.gatehouse/account/passkeys/add', { handle, response: JSON.stringify(response), passkey_name: 'Soft key' }, token);
      assert.equal(res.status, 200, res.body);
      return renewed(res.headers);
    }, 2);
    await oneMessageEach('POST /account/passkeys/remove', async () => {
      const res = await post('/.gatehouse/account/passkeys/remove', { id: response.id }, withFactor);
      assert.equal(res.status, 200, res.body);
    });
  });

  test('gatehouse user set-password and reset-mfa', async () => {
    const { email } = await signUp('cli');
    const env = { config: world.gh.config, store: world.gh.store, readPassword: async () => 'an operator chose this' };
    await oneMessageEach('user set-password', async () => {
      assert.equal(await runUserCommand('set-password', { email, 'password-stdin': true }, env), 0);
    }, 2);
    await oneMessageEach('user reset-mfa', async () => {
      assert.equal(await runUserCommand('reset-mfa', { email }, env), 0);
    }, 2);
  });
});
