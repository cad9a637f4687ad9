// Bypass attempts end to end, as raw HTTP: a public route (/public/, upstream "pub") sits before a protected one
// (/admin/, upstream "prot"). Whatever spelling of a path an attacker sends, the protected upstream never sees it,
// and the public upstream never receives a path that a lenient server would read as being under /admin.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  configObject, rawExchange, rawGet, startGatehouse, startUpstream, validConfig, type RunningGatehouse, type TestUpstream,
} from '../helpers/core-net.js';

let pub: TestUpstream;
let prot: TestUpstream;
let gh: RunningGatehouse;

before(async () => {
  pub = await startUpstream('pub');
  prot = await startUpstream('prot');
  gh = await startGatehouse(validConfig(configObject({ pub: pub.url, prot: prot.url }, [
    { name: 'public', match: { path: '/public/' }, policy: 'public', upstream: 'pub' },
    { name: 'admin', match: { path: '/admin/' }, policy: 'authenticated', upstream: 'prot' },
  ])));
});
after(async () => {
  await gh.close();
  await pub.close();
  await prot.close();
});

/**
 * Every way a lenient upstream might read a received path: "\" as "/", one round of percent-decoding,
 * ";" parameters dropped, case folded, dot segments resolved, slashes merged.
 */
function lenientReadings(url: string): string[] {
  const path = url.split(/[?#]/)[0]!;
  const out = new Set<string>();
  for (const slashes of [path, path.replaceAll('\\', '/')]) {
    let decoded = slashes;
    try {
      decoded = decodeURIComponent(slashes).replaceAll('\\', '/');
    } catch { /* keep it raw */ }
    for (const candidate of [slashes, decoded]) {
      for (const params of [candidate, candidate.split('/').map((s) => s.split(';')[0]).join('/')]) {
        for (const cased of [params, params.toLowerCase()]) {
          const stack: string[] = [];
          for (const seg of cased.split('/')) {
            if (seg === '' || seg === '.') continue;
            if (seg === '..') stack.pop();
            else stack.push(seg);
          }
          out.add(`/${stack.join('/')}`);
        }
      }
    }
  }
  return [...out];
}

function readsAsAdmin(url: string): boolean {
  return lenientReadings(url).some((p) => p === '/admin' || p.startsWith('/admin/'));
}

// [raw request-target, the status it must get]
const EXPECTED: readonly [string, number][] = [
  ['/admin/', 401], ['/admin', 401], ['/admin/x', 401],
  // dot segments
  ['/public/../admin/', 401], ['/public/./../admin/x', 401], ['/./admin/', 401], ['/public/a/../../admin/', 401],
  ['/public/../../admin/', 400], ['/..', 400], ['/public/../..', 400],
  // encoded dots
  ['/public/%2e%2e/admin/', 401], ['/public/%2E%2E/admin/', 401], ['/public/.%2e/admin/', 401], ['/public/%2e./admin/', 401],
  // double slashes
  ['//admin/', 401], ['///admin/x', 401], ['//public/../admin/', 401], ['/public//../admin/', 401],
  // encoded slashes and backslashes
  ['/public/..%2fadmin/', 400], ['/public/..%2Fadmin/', 400], ['/public%2f../admin/', 400], ['/%2fadmin/', 400],
  ['/public/..\\admin/', 400], ['/public\\..\\admin\\', 400], ['/public/%5c../admin/', 400], ['/public/..%5cadmin/', 400],
  // ";" parameters: judged with them (Express, Go) and without (Tomcat); with them these name no route here, so 404
  ['/public/..;/admin/', 400], ['/public/..;x=1/admin/', 400], ['/admin;jsessionid=1/panel', 404], ['/admin;/', 404],
  ['/;x/admin/', 404], ['/public;/../admin/', 401], ['/admin/x;v=1', 401], ['/public;x/y', 404],
  // case: the as-sent reading of /ADMIN matches no route here (only the folded one does), so it is a 404, never forwarded
  ['/ADMIN/', 404], ['/Admin/x', 404], ['/public/../ADMIN/', 404], ['/PUBLIC/../admin/', 401],
  // unreserved escapes
  ['/%61dmin/', 401], ['/%61%64%6d%69%6e/x', 401], ['/ad%6Din/', 401],
  // query and fragment tricks: they never take part in matching
  ['/public/?/../admin/', 200], ['/public/?x=/../../admin/', 200], ['/public/#/../admin/', 200], ['/admin/?/public/', 401],
  ['/admin/#/public/', 401], ['/public?/../admin/', 200],
  // NUL and malformed escapes
  ['/public/%00/../admin/', 400], ['/public/..%00/admin/', 400], ['/public/%zz/../admin/', 400], ['/public/%2', 400],
  // double encoding, and encoded reserved characters beside dot segments, are refused
  ['/public/%252e%252e/admin/', 400], ['/public/..%3B/admin/', 400], ['/public/%c0%ae%c0%ae/admin/', 400],
  // case: judged by the strictest route of the as-sent and the case-folded readings
  ['/PUBLIC/x', 404],
  // absolute-form and other request-target forms
  ['http://gatehouse.test/public/../admin/', 401], ['http://gatehouse.test/admin/', 401], ['http://u@gatehouse.test/public/', 400],
  ['*', 400], ['admin/', 400], ['../admin/', 400],
];

describe('bypass attempts against /admin/ behind /public/, as raw HTTP', () => {
  for (const [target, status] of EXPECTED) {
    test(`${JSON.stringify(target)} -> ${status}`, async () => {
      const pubBefore = pub.requests.length;
      const answer = await rawExchange(gh.port, rawGet(target));
      assert.equal(answer.status, status, `${target}: ${answer.raw.slice(0, 300)}`);
      if (status === 200) {
        assert.equal(pub.requests.length, pubBefore + 1);
        assert.equal(JSON.parse(answer.body).upstream, 'pub');
      } else {
        assert.equal(pub.requests.length, pubBefore, `${target} reached the public upstream`);
        assert.match(answer.headers['content-type'] ?? '', /application\/json/);
      }
    });
  }

  test('raw control characters, spaces and tabs in the target are refused without reaching any upstream', async () => {
    const pubBefore = pub.requests.length;
    for (const target of ['/public/\t/../admin/', '/public/\x00/../admin/', '/public/\x7f/../admin/', '/public/ /../admin/']) {
      const answer = await rawExchange(gh.port, rawGet(target));
      assert.ok(answer.status >= 400 && answer.status < 500, `${JSON.stringify(target)}: ${answer.raw.slice(0, 200)}`);
    }
    assert.equal(pub.requests.length, pubBefore);
  });

  test('the protected upstream never saw a request, and the public one never got a path readable as /admin', () => {
    assert.deepEqual(prot.requests.map((r) => r.url), []);
    assert.ok(pub.requests.length > 0, 'some attempts did go to the public upstream');
    for (const r of pub.requests) assert.ok(!readsAsAdmin(r.url), `public upstream received ${r.url}, which reads as /admin`);
  });

  test('the path the policy judged is the path the upstream got (normalised, query kept, fragment dropped)', async () => {
    const cases: [string, string][] = [
      ['/public/a/./b/../c?x=/../admin', '/public/a/c?x=/../admin'],
      ['/public//%7euser/%41', '/public/~user/A'],
      ['/public/%c3%a9t%c3%a9', '/public/%C3%A9t%C3%A9'],
      ['/public/x#frag', '/public/x'],
      ['/public/a;v=1/b', '/public/a;v=1/b'],
    ];
    for (const [sent, received] of cases) {
      const answer = await rawExchange(gh.port, rawGet(sent));
      assert.equal(answer.status, 200, sent);
      assert.equal(JSON.parse(answer.body).url, received, sent);
    }
  });
});

describe('host-based routes: Host spellings and absolute-form targets', () => {
  let www: TestUpstream;
  let adm: TestUpstream;
  let hosts: RunningGatehouse;
  before(async () => {
    www = await startUpstream('www');
    adm = await startUpstream('adm');
    hosts = await startGatehouse(validConfig(configObject({ www: www.url, adm: adm.url }, [
      { name: 'admin-host', match: { host: 'admin.test' }, policy: 'authenticated', upstream: 'adm' },
      { name: 'www-host', match: { host: 'www.test' }, policy: 'public', upstream: 'www' },
    ])));
  });
  after(async () => {
    await hosts.close();
    await www.close();
    await adm.close();
  });

  test('every spelling of the protected host is judged by its route', async () => {
    for (const host of ['admin.test', 'ADMIN.TEST', 'Admin.Test.', 'admin.test:4180', 'admin.test.:80']) {
      const answer = await rawExchange(hosts.port, `GET /x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      assert.equal(answer.status, 401, host);
    }
    assert.equal(adm.requests.length, 0);
  });

  test('an absolute-form target naming one host with a Host header naming the other never lets the public upstream serve the protected host', async () => {
    const pairs: [string, string][] = [['admin.test', 'www.test'], ['www.test', 'admin.test']];
    for (const [authority, host] of pairs) {
      const answer = await rawExchange(hosts.port, `GET http://${authority}/secret HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      assert.ok([200, 400, 401].includes(answer.status), `${authority} / ${host}: ${answer.status}`);
    }
    assert.equal(adm.requests.length, 0);
    // Whatever Gatehouse judged, the www upstream must only ever be told it serves www.test.
    for (const r of www.requests) assert.equal(String(r.headers.host).toLowerCase().replace(/\.?(:\d+)?$/, ''), 'www.test', `www upstream got Host ${r.headers.host}`);
  });
});
