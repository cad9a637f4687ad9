// Differential test of the path guarantee against real upstream routers: the whole path corpus goes through a whole
// Gatehouse (on SQLite) to Express 5, Go's http.ServeMux, Python's http.server and node:http, each routing the path
// it received with its own router. For every identity (anonymous, an ordinary user, an admin) and every corpus
// entry, either Gatehouse refused (400/401/403/404, and the upstream executed nothing), or the upstream executed
// exactly the path Gatehouse judged, in a handler that identity's policy covers: what Express, Go, Python or node
// route a forwarded path to never reaches a handler a stricter Gatehouse route protects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rawExchange, rawGet } from '../helpers/core-net.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { sqliteDatabase } from '../store/databases.js';
import { signUp } from '../api/api-helpers.js';
import { describeEachFamily, ROUTER_FAMILIES, startFamilyUpstream, type FamilyUpstream } from '../helpers/upstream-families.js';
import { corpusRoutes, FAMILY_ROUTES, PATH_CORPUS, reachableHandlers, type CorpusIdentity } from '../helpers/path-corpus.js';
import { normalizePath } from '../../src/routing/index.js';

const REFUSALS = new Set([400, 401, 403, 404]);

describeEachFamily('the path corpus never reaches a handler a stricter route protects', (family) => {
  let upstream: FamilyUpstream;
  let gh: FullGatehouse;
  const tokens: Partial<Record<CorpusIdentity, string>> = {};

  before(async () => {
    upstream = await startFamilyUpstream(family, { routes: FAMILY_ROUTES });
    gh = await startFullGatehouse(sqliteDatabase(), { app: upstream.url }, corpusRoutes('app'), {
      auth: { local: { registration: 'open' } },
      sessions: { cookie: { secure: false, name: 'gh_session' } },
    });
    tokens.user = (await signUp(gh, 'user')).token;
    const admin = await signUp(gh, 'admin');
    await gh.auth.accounts.setRoles(admin.id, ['admin'], { actor: null });
    // Roles are read when a session is loaded: sign in again so the admin's session carries the role.
    const again = await rawExchange(gh.port, [
      'POST /.gatehouse/login HTTP/1.1', 'Host: gatehouse.test', 'Content-Type: application/json', 'Connection: close',
      `Content-Length: ${Buffer.byteLength(JSON.stringify({ email: admin.email, password: 'a long enough passphrase' }))}`, '',
      JSON.stringify({ email: admin.email, password: 'a long enough passphrase' }),
    ].join('\r\n'));
    assert.equal(again.status, 200, again.raw.slice(0, 300));
    tokens.admin = (JSON.parse(again.body) as { token: string }).token;
  });
  after(async () => {
    await gh?.stop();
    await upstream?.close();
  });

  for (const identity of ['anonymous', 'user', 'admin'] as const) {
    test(`as ${identity}: refused, or executed as judged by a handler this identity may reach`, async () => {
      const allowed = reachableHandlers(identity);
      const headers: Record<string, string> = tokens[identity] === undefined ? {} : { authorization: `Bearer ${tokens[identity]}` };
      const problems: string[] = [];
      let forwardedCount = 0;
      for (const entry of PATH_CORPUS) {
        const before = upstream.executed.length;
        const answer = await rawExchange(gh.port, rawGet(entry.target, headers));
        // The upstream answers before Gatehouse relays, so its record is in by now for node and express; the child
        // processes print it first too, but on another pipe: wait for it when the answer came from upstream.
        const fromUpstream = !REFUSALS.has(answer.status) || !/application\/json/.test(answer.headers['content-type'] ?? '')
          || !/"error"/.test(answer.body);
        const executed = fromUpstream ? (await upstream.waitForExecuted(before + 1)).slice(before) : upstream.executed.slice(before);
        const where = `[${entry.cls}] ${JSON.stringify(entry.target)} -> ${answer.status}`;
        if (!fromUpstream) {
          if (executed.length > 0) problems.push(`${where}: refused, yet the upstream executed ${JSON.stringify(executed.map((r) => r.target))}`);
          if (identity === 'user' && entry.user === 'forwarded') problems.push(`${where}: a legitimate path was refused: ${answer.body}`);
          continue;
        }
        forwardedCount++;
        if (executed.length !== 1) {
          problems.push(`${where}: expected one executed request, got ${executed.length}`);
          continue;
        }
        const record = executed[0]!;
        if (identity === 'user' && entry.user === 'refused') problems.push(`${where}: forwarded (handler ${record.handler}), expected a refusal`);
        // Judged = executed: the upstream got the one normalised spelling Gatehouse judged.
        const judged = normalizePath(entry.target);
        const want = judged.ok ? (judged.query === '' ? judged.path : `${judged.path}?${judged.query}`) : '(refused)';
        if (record.target !== want) problems.push(`${where}: upstream executed ${JSON.stringify(record.target)}, Gatehouse judged ${JSON.stringify(want)}`);
        // A handler the family's router chose that this identity's policy does not cover is a bypass. (No handler:
        // the router answered by itself, a redirect to a cleaned path, which is judged again when followed.)
        if (record.handler !== undefined && !allowed.has(record.handler)) {
          problems.push(`${where}: ${family} routed it to ${record.handler}, which ${identity} may not reach`);
        }
      }
      assert.deepEqual(problems, [], `${family}, ${identity}:\n${problems.join('\n')}`);
      // The corpus must exercise both outcomes for every identity, or the check above is empty.
      assert.ok(forwardedCount > 0, `${family}, ${identity}: nothing was forwarded`);
    });
  }
}, ROUTER_FAMILIES);
