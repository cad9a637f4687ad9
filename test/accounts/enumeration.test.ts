// Issue 12 §3, "Enumeration": POST /register answered 409 for a taken address, so anyone could list accounts. Now
// it answers the same 202 body for new and taken addresses, after the same work (one Argon2 hash, one lookup, one
// counter, one transaction queuing one mail), signs nobody in, and the taken address's owner is told by mail. On
// every driver, with mail going to a real SMTP server on loopback.
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachDriver, type TestDatabase } from '../helpers/drivers.js';
import { send } from '../helpers/core-net.js';
import { PASSWORD, jsonLogin, register, startAccountsWorld, type AccountsWorld } from './accounts-world.js';

const registerJson = (port: number, email: string, password = 'someone else entirely') => send(port, {
  method: 'POST', path: '/.gatehouse/register', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email, password, name: 'Whoever' }),
});

/** Mean and standard deviation of the middle 60% (a busy machine's spikes are not timing). */
function stats(samples: number[]): { mean: number; sd: number; n: number } {
  const cut = Math.floor(samples.length * 0.2);
  const kept = [...samples].sort((a, b) => a - b).slice(cut, samples.length - cut);
  const mean = kept.reduce((s, x) => s + x, 0) / kept.length;
  const sd = Math.sqrt(kept.reduce((s, x) => s + (x - mean) ** 2, 0) / (kept.length - 1));
  return { mean, sd, n: kept.length };
}

await describeEachDriver('registration does not tell whether an address has an account', (_driver, makeDatabase) => {
  let db: TestDatabase;
  let world: AccountsWorld;
  before(async () => {
    db = await makeDatabase();
    world = await startAccountsWorld(db, { accounts: { password_reset: { max_per_account: 2 } } });
  });
  after(async () => {
    await world?.stop();
    await db?.drop();
  });

  test('new and taken addresses: the same status and body, no session; the owner is told by mail', async () => {
    const taken = `owner-${randomUUID().slice(0, 8)}@example.com`;
    await register(world.gh, taken);
    const fresh = `fresh-${randomUUID().slice(0, 8)}@example.com`;
    const a = await registerJson(world.gh.port, fresh);
    const b = await registerJson(world.gh.port, taken.toUpperCase());
    assert.equal(a.status, 202, a.body);
    assert.equal(b.status, a.status);
    assert.equal(b.body, a.body, 'the same body, byte for byte');
    assert.equal(a.headers['set-cookie'], undefined, 'nobody is signed in by registering');
    assert.equal(b.headers['set-cookie'], undefined);
    const notice = await world.smtp.waitFor(taken, /tried to sign up/);
    assert.match(notice.text, /already has one/);
    await world.smtp.waitFor(fresh, /Confirm your email/);
    // The taken account is untouched: its password still works, the stranger's does not.
    assert.equal((await jsonLogin(world.gh, taken, PASSWORD)).status, 200);
    assert.equal((await jsonLogin(world.gh, taken, 'someone else entirely')).status, 401);
    assert.equal((await jsonLogin(world.gh, fresh, 'someone else entirely')).status, 200, 'the new account signs in');
    // Asking again and again mails the owner at most accounts.password_reset.max_per_account times per window.
    for (let i = 0; i < 4; i++) assert.equal((await registerJson(world.gh.port, taken)).status, 202);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(world.smtp.to(taken).filter((m) => /tried to sign up/.test(m.subject)).length <= 2, 'no inbox flood');
  });

  test('new and taken addresses take the same time (interleaved, trimmed means within noise)', { timeout: 120_000 }, async () => {
    const taken = `timed-${randomUUID().slice(0, 8)}@example.com`;
    await register(world.gh, taken);
    const times = { fresh: [] as number[], taken: [] as number[] };
    for (let i = 0; i < 16; i++) {
      for (const which of i % 2 === 0 ? ['fresh', 'taken'] as const : ['taken', 'fresh'] as const) {
        const email = which === 'taken' ? taken : `t${i}-${randomUUID().slice(0, 8)}@example.com`;
        const started = performance.now();
        const res = await registerJson(world.gh.port, email);
        times[which].push(performance.now() - started);
        assert.equal(res.status, 202);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const f = stats(times.fresh);
    const t = stats(times.taken);
    const se = Math.sqrt(f.sd ** 2 / f.n + t.sd ** 2 / t.n);
    const diff = Math.abs(f.mean - t.mean);
    console.log(`register answer time: new ${f.mean.toFixed(1)} ms (sd ${f.sd.toFixed(1)}), taken ${t.mean.toFixed(1)} ms (sd ${t.sd.toFixed(1)}); difference ${diff.toFixed(1)} ms, bound ${(3.5 * se + 5).toFixed(1)} ms`);
    assert.ok(diff <= 3.5 * se + 5, `the means differ by ${diff.toFixed(1)} ms, more than 3.5 standard errors + 5 ms`);
  });
});
