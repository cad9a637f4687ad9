// Stage 4, authorize: a decision with its reason and what the caller needs (the identity to state, the message of
// a 403, where to sign in and the challenge of a 401), for every kind of policy, caller and upgrade.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthorize, refusalError, type Decision } from '../../src/pipeline/4-authorize/decide.js';
import type { Identity } from '../../src/pipeline/3-authenticate/identity.js';
import { ALICE, BOB, closeTable, tableOf } from './helpers.js';

const table = tableOf([
  { name: 'public', match: { path: '/public/' }, policy: 'public', upstream: 'app' },
  { name: 'closed', match: { path: '/closed/' }, policy: 'deny', upstream: 'app' },
  { name: 'members', match: { path: '/members/' }, policy: 'authenticated', upstream: 'app' },
  { name: 'admins', match: { path: '/admins/' }, policy: { roles: ['admin'] }, upstream: 'app' },
  { name: 'acme', match: { path: '/acme/' }, policy: { orgs: ['acme'] }, upstream: 'app' },
  { name: 'acme-admins', match: { path: '/acme-admins/' }, policy: { orgs: ['acme'], org_roles: ['admin'] }, upstream: 'app' },
  { name: 'ws', match: { path: '/ws/' }, policy: 'authenticated', upstream: 'app', websockets: true },
  { name: 'tcp', match: { path: '/tcp/' }, policy: 'public', upstream: 'app', websockets: true, upgrade_protocols: ['tcp'] },
  { name: 'verified', match: { path: '/verified/' }, policy: { verified_email: true }, upstream: 'app' },
  { name: 'mfa', match: { path: '/mfa/' }, policy: { mfa: true }, upstream: 'app' },
  { name: 'admins-mfa', match: { path: '/admins-mfa/' }, policy: { roles: ['admin'], mfa: true }, upstream: 'app' },
  { name: 'acme-verified-mfa', match: { path: '/acme-verified-mfa/' }, policy: { orgs: ['acme'], verified_email: true, mfa: true }, upstream: 'app' },
]);
after(() => closeTable(table));
/** Each route's path is its name. */
const route = (name: string) => table.routes.match('gatehouse.test', { path: `/${name}/`, matchPath: `/${name}/` }, 'GET')!;

test('every policy against every kind of caller', () => {
  const authorize = createAuthorize((rd) => `/.gatehouse/login?rd=${encodeURIComponent(rd)}`);
  const owner: Identity = { ...BOB, orgs: [{ slug: 'acme', role: 'owner' }] };
  const pending: Identity = { ...BOB, orgs: [] }; // a pending membership never reaches identity.orgs
  const rows: [route: string, who: Identity | undefined, upgrade: boolean, kind: Decision['kind'], reason: string][] = [
    ['public', undefined, false, 'allow', 'public'],
    ['public', ALICE, false, 'allow', 'public'],
    ['closed', undefined, false, 'deny', 'route_closed'],
    ['closed', ALICE, false, 'deny', 'route_closed'],
    ['members', undefined, false, 'unauthenticated', 'no_session'],
    ['members', BOB, false, 'allow', 'authenticated'],
    ['admins', undefined, false, 'unauthenticated', 'no_session'],
    ['admins', BOB, false, 'deny', 'missing_role'],
    ['admins', ALICE, false, 'allow', 'role'],
    ['acme', ALICE, false, 'allow', 'org'],
    ['acme', BOB, false, 'deny', 'missing_org'],
    ['acme', pending, false, 'deny', 'missing_org'],
    ['acme-admins', owner, false, 'deny', 'missing_org'],
    ['acme-admins', { ...owner, orgs: [{ slug: 'acme', role: 'admin' }] }, false, 'allow', 'org'],
    ['ws', BOB, true, 'allow', 'authenticated'],
    ['ws', undefined, true, 'unauthenticated', 'no_session'],
    ['members', BOB, true, 'deny', 'upgrade_not_allowed'],
    ['members', undefined, true, 'unauthenticated', 'no_session'],
    ['closed', BOB, true, 'deny', 'route_closed'],
    ['verified', undefined, false, 'unauthenticated', 'no_session'],
    ['verified', BOB, false, 'deny', 'email_unverified'],
    ['verified', { ...BOB, emailVerified: true }, false, 'allow', 'authenticated'],
    ['mfa', BOB, false, 'unauthenticated', 'mfa_required'],
    ['mfa', { ...BOB, amr: ['pwd'] }, false, 'unauthenticated', 'mfa_required'],
    ['mfa', { ...BOB, amr: ['pwd', 'otp', 'mfa'] }, false, 'allow', 'authenticated'],
    ['admins-mfa', BOB, false, 'deny', 'missing_role'],
    ['admins-mfa', { ...BOB, amr: ['pwd', 'otp', 'mfa'] }, false, 'deny', 'missing_role'],
    ['admins-mfa', ALICE, false, 'unauthenticated', 'mfa_required'],
    ['admins-mfa', { ...ALICE, amr: ['swk', 'user', 'mfa'] }, false, 'allow', 'role'],
    ['acme-verified-mfa', { ...ALICE, amr: ['pwd', 'otp', 'mfa'] }, false, 'deny', 'email_unverified'],
    ['acme-verified-mfa', { ...ALICE, emailVerified: true }, false, 'unauthenticated', 'mfa_required'],
    ['acme-verified-mfa', { ...ALICE, emailVerified: true, amr: ['hwk', 'mfa'] }, false, 'allow', 'org'],
    ['mfa', { ...BOB, amr: ['pwd'] }, true, 'unauthenticated', 'mfa_required'],
  ];
  for (const [name, who, upgrade, kind, reason] of rows) {
    const what = `${name} / ${who?.userId ?? 'anonymous'}${upgrade ? ' / upgrade' : ''}`;
    const decision = authorize(route(name), who, '/x', upgrade);
    assert.equal(decision.kind, kind, what);
    assert.equal(decision.reason, reason, what);
    if (decision.kind === 'allow') assert.equal(decision.identity, name === 'public' ? undefined : who, `${what}: the identity to state`);
    else {
      const err = refusalError(decision);
      assert.equal(err.status, decision.kind === 'unauthenticated' ? 401 : 403, what);
    }
  }
});

test('what the caller needs: the 403 message, and for 401 where to sign in and the challenge', () => {
  let provider: string | undefined;
  const authorize = createAuthorize((rd) => provider !== undefined ? `/.gatehouse/oauth/${provider}/start?rd=${encodeURIComponent(rd)}` : `/.gatehouse/login?rd=${encodeURIComponent(rd)}`);
  const rows: [provider: string | undefined, rd: string, location: string][] = [
    [undefined, '/members/a?b=1&c', '/.gatehouse/login?rd=%2Fmembers%2Fa%3Fb%3D1%26c'],
    ['corp', '/members/', '/.gatehouse/oauth/corp/start?rd=%2Fmembers%2F'],
  ];
  for (const [p, rd, location] of rows) {
    provider = p;
    const decision = authorize(route('members'), undefined, rd, false);
    assert.ok(decision.kind === 'unauthenticated');
    assert.equal(decision.signIn.location, location);
    assert.equal(decision.signIn.challenge, 'Bearer realm="gatehouse"');
  }
  // Step-up: a known session without a second factor goes to the second-factor page (never to a provider) and is
  // told what is missing (RFC 9470 §3); its error is GATE_ERR_MFA_REQUIRED, and an unverified email's is its own.
  provider = 'corp';
  const stepUp = authorize(route('mfa'), { ...BOB, amr: ['pwd'] }, '/mfa/a?b=1', false);
  assert.ok(stepUp.kind === 'unauthenticated');
  assert.equal(stepUp.signIn.location, '/.gatehouse/mfa?rd=%2Fmfa%2Fa%3Fb%3D1');
  assert.match(stepUp.signIn.challenge, /error="insufficient_user_authentication"/);
  assert.equal(refusalError(stepUp).code, 'GATE_ERR_MFA_REQUIRED');
  const unverified = authorize(route('verified'), BOB, '/x', false);
  assert.ok(unverified.kind === 'deny');
  assert.equal(refusalError(unverified).code, 'GATE_ERR_EMAIL_UNVERIFIED');
  provider = undefined;
  const messages: [string, Identity | undefined, boolean, string][] = [
    ['closed', undefined, false, 'this route is closed'],
    ['admins', BOB, false, 'you lack a role this route requires'],
    ['members', BOB, true, 'upgrades are not allowed on this route'],
    ['verified', BOB, false, 'this needs a confirmed email address'],
  ];
  for (const [name, who, upgrade, message] of messages) {
    const decision = authorize(route(name), who, '/x', upgrade);
    assert.ok(decision.kind === 'deny', name);
    assert.equal(refusalError(decision).publicMessage(), message, name);
  }
});

test('an upgrade passes only with protocols the route lets through: websocket, and its upgrade_protocols', () => {
  const authorize = createAuthorize((rd) => `/.gatehouse/login?rd=${encodeURIComponent(rd)}`);
  const rows: [route: string, protocols: string[], want: string][] = [
    ['ws', ['websocket'], 'authenticated'],
    ['ws', ['WebSocket'], 'authenticated'],
    ['ws', ['tcp'], 'upgrade_protocol_not_allowed'],
    ['ws', ['websocket', 'tcp'], 'upgrade_protocol_not_allowed'],
    ['tcp', ['tcp'], 'public'],
    ['tcp', ['TCP', 'websocket'], 'public'],
    ['tcp', ['tcp/2'], 'upgrade_protocol_not_allowed'],
    ['public', ['websocket'], 'upgrade_not_allowed'],
  ];
  for (const [name, protocols, want] of rows) {
    const decision = authorize(route(name), BOB, '/x', true, protocols);
    assert.equal(decision.reason, want, `${name} / ${protocols.join(', ')}`);
    if (decision.kind === 'deny') assert.equal(refusalError(decision).status, 403);
  }
});
