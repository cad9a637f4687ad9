// Stage 3, authenticate: an ordered list of authenticators; the first that finds a credential of its kind decides,
// and a presented credential that does not hold is never replaced by another the request happens to carry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ABSENT, authenticateChain, type Authenticator } from '../../src/pipeline/3-authenticate/authenticate.js';
import { sessionAuthenticators } from '../../src/pipeline/3-authenticate/session-token.js';
import type { CachedSession } from '../../src/sessions/session-cache.js';
import { ALICE, BOB } from './helpers.js';

/** A stand-in for the session service: these tokens are live sessions, every other token is not. */
function sessionsOf(live: Record<string, CachedSession>) {
  const asked: string[] = [];
  return {
    asked,
    service: { validateNow: (token: string) => { asked.push(token); return live[token]; }, recognises: (token: string) => live[token] !== undefined },
  };
}

function entry(userId: string): CachedSession {
  const who = userId === ALICE.userId ? ALICE : BOB;
  return { sessionId: `s-${userId}`, userId, email: who.email, name: who.name, roles: who.roles, orgs: who.orgs, emailVerified: false, amr: [], expiresAt: Infinity, idleExpiresAt: Infinity };
}

test('bearer, then cookie: who each request turns out to be', async () => {
  const { service, asked } = sessionsOf({ 'tok-alice': entry(ALICE.userId), 'tok-bob': entry(BOB.userId) });
  const { bearer, cookie } = sessionAuthenticators(service, 'gh');
  const authenticate = authenticateChain([bearer, cookie]);
  const rows: [what: string, headers: { authorization?: string; cookie?: string }, user: string | undefined, validated: string[]][] = [
    ['no credential: anonymous, nothing validated', {}, undefined, []],
    ['a bearer token', { authorization: 'Bearer tok-alice' }, ALICE.userId, ['tok-alice']],
    ['the scheme is case-insensitive and the token trimmed', { authorization: 'bEaReR   tok-alice  ' }, ALICE.userId, ['tok-alice']],
    ['a cookie', { cookie: 'other=1; gh=tok-bob' }, BOB.userId, ['tok-bob']],
    ['bearer wins over the cookie', { authorization: 'Bearer tok-alice', cookie: 'gh=tok-bob' }, ALICE.userId, ['tok-alice']],
    ['a bad bearer token is not rescued by a good cookie', { authorization: 'Bearer forged', cookie: 'gh=tok-bob' }, undefined, ['forged']],
    ['an empty bearer token holds nothing and stops the chain', { authorization: 'Bearer    ', cookie: 'gh=tok-bob' }, undefined, []],
    ['another scheme is not ours: the cookie decides', { authorization: 'Basic dTpw', cookie: 'gh=tok-bob' }, BOB.userId, ['tok-bob']],
    ['"Bearer " alone is no bearer credential', { authorization: 'Bearer ', cookie: 'gh=tok-bob' }, BOB.userId, ['tok-bob']],
    ['an empty cookie holds nothing', { cookie: 'gh=' }, undefined, []],
    ['another cookie name is not ours', { cookie: 'gh2=tok-bob' }, undefined, []],
  ];
  for (const [what, headers, user, validated] of rows) {
    asked.length = 0;
    const identity = await authenticate(headers);
    assert.equal(identity?.userId, user, what);
    assert.deepEqual(asked, validated, what);
  }
});

test('one identity object per cached session, whichever authenticator found it', async () => {
  const alice = entry(ALICE.userId);
  const { service } = sessionsOf({ 'tok-alice': alice });
  const { bearer, cookie } = sessionAuthenticators(service, 'gh');
  const authenticate = authenticateChain([bearer, cookie]);
  const a = await authenticate({ authorization: 'Bearer tok-alice' });
  const b = await authenticate({ cookie: 'gh=tok-alice' });
  assert.ok(a !== undefined && a === b, 'the same object, so derived headers are derived once');
  assert.equal(a.sessionId, 's-u-alice');
  // A session the service answers without I/O is passed on without a promise (no microtask turn per request).
  assert.equal(authenticate({ cookie: 'gh=tok-alice' }), a);
});

test('authenticators run in list order; ABSENT passes on; a synchronous answer is not wrapped in a promise', () => {
  const calls: string[] = [];
  const sync = (name: string, answer: ReturnType<Authenticator['authenticate']>): Authenticator => ({
    name, authenticate: () => { calls.push(name); return answer; },
  });
  const rows: [what: string, list: Authenticator[], expected: unknown, called: string[]][] = [
    ['empty list: anonymous', [], undefined, []],
    ['all absent: anonymous', [sync('a', ABSENT), sync('b', ABSENT)], undefined, ['a', 'b']],
    ['the first present one decides', [sync('a', ABSENT), sync('b', ALICE), sync('c', BOB)], ALICE, ['a', 'b']],
    ['a credential that does not hold stops the chain', [sync('a', undefined), sync('b', BOB)], undefined, ['a']],
  ];
  for (const [what, list, expected, called] of rows) {
    calls.length = 0;
    assert.equal(authenticateChain(list)({}), expected, what);
    assert.deepEqual(calls, called, what);
  }
});
