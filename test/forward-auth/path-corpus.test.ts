// One decision in both modes: every entry of the path corpus (test/helpers/path-corpus.ts), as an anonymous
// caller, an ordinary user and an admin, is sent through Gatehouse in proxy mode and through a real nginx
// (auth_request) and a real Caddy (forward_auth) asking Gatehouse's forward-auth endpoint, all in front of one
// recording upstream. The verdict (did the upstream execute the request) must be the same in every mode. The one
// allowed difference: the ingress refuses a request on its own before asking Gatehouse (nginx answers 400 to some
// malformed targets), which is stricter, never looser; those are counted and listed. Entries the corpus marks
// "either" (Node's own HTTP parser decides in proxy mode: raw non-ASCII bytes, backslashes) may differ too: there
// the ingress parses the request, not Node (Caddy re-encodes raw UTF-8 bytes as %XX before asking, and Gatehouse
// judges that spelling); they are listed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rawExchange, rawGet, scrape, startUpstream, type TestUpstream } from '../helpers/core-net.js';
import { startFullGatehouse, type FullGatehouse } from '../helpers/full-gatehouse.js';
import { freePort, startCaddy, startNginx, type RunningIngress } from '../helpers/ingress-proxies.js';
import { sqliteDatabase } from '../store/databases.js';
import { logIn, signUp } from '../api/api-helpers.js';
import { corpusRoutes, PATH_CORPUS, type CorpusIdentity } from '../helpers/path-corpus.js';
import { caddyfile, nginxServer } from './ingress-configs.js';
import { ingressAvailable } from './setup.js';

const IDENTITIES: readonly CorpusIdentity[] = ['anonymous', 'user', 'admin'];

if (ingressAvailable('nginx') && ingressAvailable('caddy')) {
  describe('the path corpus gets the same verdict through forward-auth as through the proxy', () => {
    let upstream: TestUpstream;
    let gh: FullGatehouse;
    const ingresses: RunningIngress[] = [];
    const tokens: Partial<Record<CorpusIdentity, string>> = {};
    /** proxy-mode verdict per identity and target: true when the upstream executed it. */
    const proxied = new Map<string, boolean>();

    before(async () => {
      upstream = await startUpstream('app');
      gh = await startFullGatehouse(sqliteDatabase(), { app: upstream.url }, corpusRoutes('app'), {
        server: { trusted_proxies: ['127.0.0.1'] },
        auth: { local: { registration: 'open' } },
        sessions: { cookie: { secure: false, name: 'gh_session' } },
      });
      tokens.user = (await signUp(gh, 'user')).token;
      const admin = await signUp(gh, 'admin');
      await gh.auth.accounts.setRoles(admin.id, ['admin'], { actor: null });
      tokens.admin = await logIn(gh, admin.email);
      const nginxPort = await freePort();
      ingresses.push(await startNginx(nginxPort, nginxServer({ listen: nginxPort, serverName: 'gatehouse.test', gatehouse: `127.0.0.1:${gh.port}`, app: `127.0.0.1:${upstream.port}` })));
      const caddyPort = await freePort();
      ingresses.push(await startCaddy(caddyPort, caddyfile({ listen: caddyPort, siteHost: '', gatehouse: `127.0.0.1:${gh.port}`, app: `127.0.0.1:${upstream.port}` })));
    });
    after(async () => {
      for (const ingress of ingresses) await ingress.stop();
      await gh?.stop();
      await upstream?.close();
    });

    const headersOf = (identity: CorpusIdentity): Record<string, string> =>
      tokens[identity] === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', Authorization: `Bearer ${tokens[identity]}` };

    /** Sends one raw request to `port`; true when the upstream executed it. */
    async function executed(port: number, target: string, identity: CorpusIdentity): Promise<{ ran: boolean; status: number }> {
      const before = upstream.requests.length;
      const answer = await rawExchange(port, rawGet(target, headersOf(identity)));
      // The upstream records a request before it answers, so its record is in before the ingress relays the answer.
      return { ran: upstream.requests.length > before, status: answer.status };
    }

    /** How many requests Gatehouse has answered, from its own counter. */
    async function answeredByGatehouse(): Promise<number> {
      let total = 0;
      for (const line of (await scrape(gh.adminPort)).split('\n')) {
        const m = /^gatehouse_http_requests_total\{[^}]*\} (\S+)/.exec(line);
        if (m) total += Number(m[1]);
      }
      return total;
    }

    test('proxy mode first: the reference verdicts', async () => {
      for (const identity of IDENTITIES) {
        for (const entry of PATH_CORPUS) proxied.set(`${identity} ${entry.target}`, (await executed(gh.port, entry.target, identity)).ran);
      }
      const allowed = [...proxied.values()].filter(Boolean).length;
      assert.ok(allowed > 0 && allowed < proxied.size, `both verdicts occur (${allowed} of ${proxied.size} allowed)`);
    });

    for (const which of ['nginx', 'caddy'] as const) {
      test(`through ${which}: the same verdict for every entry and identity`, async () => {
        const ingress = ingresses.find((i) => i.name === which)!;
        const problems: string[] = [];
        const ingressOwn: string[] = [];
        const parserDependent: string[] = [];
        let compared = 0;
        for (const identity of IDENTITIES) {
          for (const entry of PATH_CORPUS) {
            const reference = proxied.get(`${identity} ${entry.target}`)!;
            const got = await executed(ingress.port, entry.target, identity);
            const where = `${identity} [${entry.cls}] ${JSON.stringify(entry.target)}`;
            if (got.ran === reference) {
              compared++;
              continue;
            }
            if (entry.user === 'either') {
              parserDependent.push(`${where}: ${got.ran ? 'executed' : 'refused'} through ${which}, ${reference ? 'executed' : 'refused'} by the proxy`);
              continue;
            }
            if (got.ran) {
              problems.push(`${where}: executed through ${which} (${got.status}), refused by the proxy`);
              continue;
            }
            // Refused through the ingress, allowed by the proxy: did Gatehouse refuse, or did the ingress never ask?
            const before = await answeredByGatehouse();
            await executed(ingress.port, entry.target, identity);
            if (await answeredByGatehouse() > before) problems.push(`${where}: refused through ${which} (${got.status}), executed by the proxy`);
            else ingressOwn.push(`${where} -> ${got.status}`);
          }
        }
        assert.deepEqual(problems, [], `${which}:\n${problems.join('\n')}`);
        assert.ok(compared > PATH_CORPUS.length * IDENTITIES.length * 0.9, `most entries reach Gatehouse through ${which} (${compared} compared; refused by ${which} itself: ${ingressOwn.join('; ')})`);
        if (parserDependent.length > 0) console.log(`# parser-dependent ("either") entries that differ: ${parserDependent.join('; ')}`);
        if (ingressOwn.length > 0) console.log(`# refused by ${which} itself before asking (stricter than Gatehouse): ${ingressOwn.join('; ')}`);
      });
    }
  });
}
