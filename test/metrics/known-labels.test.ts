// Every labelled counter exists at 0 for each of its known label values on a fresh instance (so increase() sees the
// first failure and a dashboard finds the series), the code increments no value outside the known lists, and
// each list covers the type the code increments it from (checked by the compiler, below).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KNOWN_LABELS } from '../../src/metrics/known-labels.js';
import type { UpstreamFailure } from '../../src/proxy/upstream-error.js';
import type { TokenRejection } from '../../src/sessions/token.js';
import type { ChangeKind } from '../../src/store/store.js';
import type { ReloadResult } from '../../src/server/config-reloader.js';
import type { RequestClass, ShedReason } from '../../src/pipeline/1-admit/admit.js';
import { sqliteDatabase, type TestDatabase } from '../store/databases.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { sample, scrape, startUpstream, type TestUpstream } from '../helpers/core-net.js';

// Compile-time: each list names every value of the type the code increments with (a new value in the code and not
// in the list does not compile).
type Covers<T extends string, L extends readonly string[]> = [Exclude<T, L[number]>] extends [never] ? true : { missing: Exclude<T, L[number]> };
const covered: [
  Covers<UpstreamFailure, typeof KNOWN_LABELS.upstreamErrorReasons>,
  Covers<TokenRejection, typeof KNOWN_LABELS.tokenRejections>,
  Covers<ChangeKind, typeof KNOWN_LABELS.changeKinds>,
  Covers<ReloadResult, typeof KNOWN_LABELS.configReloadResults>,
  Covers<ShedReason, typeof KNOWN_LABELS.loadShedReasons>,
  Covers<RequestClass, typeof KNOWN_LABELS.loadShedClasses>,
] = [true, true, true, true, true, true];

let db: TestDatabase;
let upstream: TestUpstream;
let gh: FullGatehouse;
before(async () => {
  db = sqliteDatabase();
  upstream = await startUpstream('app');
  gh = await startFullGatehouse(db, { app: upstream.url, billing: upstream.url }, [{ name: 'all', match: { path: '/' }, policy: 'public', upstream: 'app' }], {
    auth: {
      providers: [{ id: 'corp', type: 'github', client_id: 'id', client_secret: 'secret' }],
    },
  });
});
after(async () => {
  await gh?.stop();
  await upstream?.close();
  await db?.drop();
});

test('a fresh instance exports every known label set of every labelled counter at 0', async () => {
  assert.ok(covered.every((c) => c === true));
  const text = await scrape(gh.adminPort);
  const expect = (name: string, labels: Record<string, string>): void => {
    assert.equal(sample(text, name, labels), 0, `${name}${JSON.stringify(labels)} is exported at 0`);
  };
  for (const name of ['app', 'billing']) {
    for (const reason of KNOWN_LABELS.upstreamErrorReasons) expect('gatehouse_upstream_errors_total', { upstream: name, reason });
  }
  for (const reason of KNOWN_LABELS.loadShedReasons) {
    for (const cls of KNOWN_LABELS.loadShedClasses) expect('gatehouse_load_shed_total', { reason, class: cls });
  }
  for (const reason of KNOWN_LABELS.connectionCloseReasons) expect('gatehouse_connections_closed_total', { reason });
  for (const reason of KNOWN_LABELS.tokenRejections) expect('gatehouse_session_tokens_rejected_total', { reason });
  for (const kind of KNOWN_LABELS.changeKinds) expect('gatehouse_change_feed_applied_total', { kind });
  for (const reason of KNOWN_LABELS.cacheClearReasons) expect('gatehouse_change_feed_cache_clears_total', { reason });
  for (const result of KNOWN_LABELS.passwordLoginResults) expect('gatehouse_login_attempts_total', { method: 'password', provider: 'local', result });
  for (const result of KNOWN_LABELS.oauthLoginResults) expect('gatehouse_login_attempts_total', { method: 'oauth', provider: 'corp', result });
  for (const result of KNOWN_LABELS.webhookResults) expect('gatehouse_webhook_deliveries_total', { result });
  for (const result of KNOWN_LABELS.configReloadResults) expect('gatehouse_config_reloads_total', { result });
  for (const kind of KNOWN_LABELS.storeErrorKinds) expect('gatehouse_store_errors_total', { kind });
  // Every labelled counter family is covered above, except the one left out on purpose.
  const labelled = [...text.matchAll(/^# TYPE (gatehouse_\w+) counter$/gm)].map((m) => m[1]!)
    .filter((name) => new RegExp(`^${name}\\{`, 'm').test(text));
  const checked = ['gatehouse_upstream_errors_total', 'gatehouse_load_shed_total', 'gatehouse_session_tokens_rejected_total',
    'gatehouse_change_feed_applied_total', 'gatehouse_change_feed_cache_clears_total', 'gatehouse_login_attempts_total',
    'gatehouse_webhook_deliveries_total', 'gatehouse_config_reloads_total', 'gatehouse_store_errors_total', 'gatehouse_connections_closed_total'];
  for (const name of labelled) {
    assert.ok(checked.includes(name) || name === 'gatehouse_http_requests_total', `${name} is labelled: add its values to KNOWN_LABELS`);
  }
});

test('the code increments no label value outside the known lists', () => {
  const src = new URL('../../../src/', import.meta.url).pathname;
  const files: string[] = [];
  (function walk(dir: string): void {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ts')) files.push(full);
    }
  })(src);
  const allowed: Record<string, readonly string[]> = {
    webhookDeliveries: KNOWN_LABELS.webhookResults, loadShed: KNOWN_LABELS.loadShedReasons, connectionsClosed: KNOWN_LABELS.connectionCloseReasons,
    sessionTokensRejected: KNOWN_LABELS.tokenRejections, changeFeedCacheClears: KNOWN_LABELS.cacheClearReasons,
    storeErrors: KNOWN_LABELS.storeErrorKinds, configReloads: KNOWN_LABELS.configReloadResults,
    loginAttempts: [...KNOWN_LABELS.passwordLoginResults, ...KNOWN_LABELS.oauthLoginResults],
  };
  let literals = 0;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/metrics\.(\w+)\.inc\(\{([^}]*)\}/g)) {
      const known = allowed[m[1]!];
      if (known === undefined) continue;
      for (const v of m[2]!.matchAll(/(?:reason|result|kind): '([^']+)'/g)) {
        literals++;
        assert.ok(known.includes(v[1]!), `${file}: ${m[1]} incremented with "${v[1]}", not in KNOWN_LABELS`);
      }
      // clearAll('...') passes its reason through a variable.
    }
    for (const m of text.matchAll(/clearAll\('([^']+)'\)/g)) {
      literals++;
      assert.ok((KNOWN_LABELS.cacheClearReasons as readonly string[]).includes(m[1]!), `${file}: cache clear reason "${m[1]}" not in KNOWN_LABELS`);
    }
    for (const m of text.matchAll(/reason: '([a-z_]+)',\s*\n?\s*pressure/g)) {
      assert.ok((KNOWN_LABELS.loadShedReasons as readonly string[]).includes(m[1]!), `${file}: shed reason "${m[1]}"`);
    }
  }
  assert.ok(literals >= 15, `found ${literals} literal label values`);
});
