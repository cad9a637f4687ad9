// The path corpus: request-targets that common upstreams read differently from a plain RFC 3986 reading, as one
// data set that every way into Gatehouse's judgement runs (the proxy here; forward-auth's endpoint later). Each
// entry is judged against CORPUS_ROUTES; the upstream routes with FAMILY_ROUTES (test/helpers/upstream-families.ts
// routing mode), and HANDLER_POLICY says which Gatehouse policy protects each upstream handler.
//
// `user` is what an ordinary signed-in user (no roles) must get with CORPUS_ROUTES: "refused" (400, 403 or 404,
// nothing executed), "forwarded" (executed, by a handler that user may reach), or "either" (Node's own parser, or
// a reading-dependent refusal, may decide; the handler rule still holds). Whatever the entry says, no identity may
// ever reach a handler its policy does not allow (see reachableHandlers).

/** One corpus entry. */
export interface PathCase {
  /** The raw request-target, sent byte for byte (latin1). */
  readonly target: string;
  /** The class of trick (for reports). */
  readonly cls: string;
  readonly user: 'refused' | 'forwarded' | 'either';
}

/** Gatehouse's routes for the corpus (`upstream` names the one upstream behind every route). */
export function corpusRoutes(upstream: string): unknown[] {
  return [
    { name: 'internal', match: { path: '/internal/' }, policy: 'deny' },
    { name: 'admin', match: { path: '/admin/' }, policy: { roles: ['admin'] }, upstream },
    { name: 'public', match: { path: '/public/' }, policy: 'public', upstream },
    { name: 'app', match: { path: '/' }, policy: 'authenticated', upstream },
  ];
}

/** The upstream's own routes, in order ("/x/" prefix, "/x" exact; unmatched paths reach "fallback"). */
export const FAMILY_ROUTES: readonly string[] = ['/internal/', '/admin/secret', '/admin/', '/public/'];

export type CorpusIdentity = 'anonymous' | 'user' | 'admin';

/** The upstream handlers each identity may reach (what the Gatehouse route covering that handler allows). */
export function reachableHandlers(identity: CorpusIdentity): ReadonlySet<string> {
  if (identity === 'anonymous') return new Set(['/public/']);
  if (identity === 'user') return new Set(['/public/', 'fallback']);
  return new Set(['/public/', 'fallback', '/admin/', '/admin/secret']);
}

const refused = (cls: string, ...targets: string[]): PathCase[] => targets.map((target) => ({ target, cls, user: 'refused' }));
const forwarded = (cls: string, ...targets: string[]): PathCase[] => targets.map((target) => ({ target, cls, user: 'forwarded' }));
const either = (cls: string, ...targets: string[]): PathCase[] => targets.map((target) => ({ target, cls, user: 'either' }));

/** Every payload of issue 12 §2, and the classes around them. */
export const PATH_CORPUS: readonly PathCase[] = [
  // issue 12 §2, as reported
  ...refused('issue: case', '/ADMIN/secret', '/Admin/Secret', '/%41dmin/secret', '/INTERNAL/x', '/Internal/x'),
  ...refused('issue: trailing dot, space, tilde', '/admin./x', '/admin%20/x', '/admin%2e/x', '/admin~/x', '/admin./secret', '/admin%20/secret'),
  ...refused('issue: encoded ";" beside a dot segment', '/public/..%3B/admin/secret', '/public/..%3b/admin/secret'),
  ...refused('issue: overlong and fullwidth dots', '/public/%c0%ae%c0%ae/admin/secret', '/public/%ef%bc%8e%ef%bc%8e/admin/secret',
    '/public/..%c0%afadmin/secret', '/public/..%c0%af..%c0%afadmin/secret'),
  // case, further
  ...refused('case', '/aDMIN/secret', '/ADMIN/SECRET/', '/%41%44%4d%49%4e/secret', '/%61DMIN/secret', '/admin/SECRET', '/ADMIN',
    '/iNTERNAL/', 'http://gatehouse.test/ADMIN/secret'),
  // ";" parameters (Tomcat, Jetty, Spring strip them; Express, Go, Python keep them)
  ...refused('path parameters', '/admin;x/secret', '/ADMIN;jsessionid=1/secret', '/admin;/secret', '/public;x/../admin/secret',
    '/public/..;/admin/secret', '/public/.;/admin/secret', '/public/..;x=1/admin/secret', '/admin%3bx/secret', '/internal;x/y',
    '/public/%2e%2e;/admin/secret'),
  // names Windows-style servers trim or alias
  ...refused('trailing dots, spaces, tildes', '/admin/secret.', '/admin/secret%20', '/admin/secret..', '/admin/secret...', '/admin.%20/secret',
    '/admin%20./secret', '/admin.;x/secret', '/admin;x./secret', '/internal./x', '/internal%20/x', '/public/..%20/admin/secret', '/public/...'),
  ...refused('8.3 short names', '/ADMINI~1/secret', '/admin~1/secret', '/INTERN~1/x'),
  ...refused('NTFS streams', '/admin::$DATA/secret', '/admin:$i30:$INDEX_ALLOCATION/secret', '/admin%3a%3a%24DATA/secret',
    '/admin/secret::$DATA', '/internal::$DATA/x'),
  // separators hidden in escapes, backslashes, merged slashes, dot segments
  ...refused('encoded separators', '/public/..%2fadmin/secret', '/public/..%2Fadmin/secret', '/%2fadmin/secret', '/public%2f..%2fadmin/secret',
    '/public/%5c../admin/secret', '/public/..%5cadmin/secret', '/public%5c..%5cadmin%5csecret'),
  ...either('backslashes', '/public/..\\admin\\secret', '/public\\..\\admin/secret'),
  ...refused('dot segments and slashes', '/public/../admin/secret', '/public/%2e%2e/admin/secret', '/public/.%2e/admin/secret',
    '/public/%2E./admin/secret', '//admin/secret', '///admin//secret', '/public//../admin/secret', '/./admin/secret',
    '/public/../../admin/secret', '/public/../internal/x', '/..', '/public/a/../../admin/secret'),
  // a second decode
  ...refused('double encoding', '/public/%252e%252e/admin/secret', '/%2541dmin/secret', '/public/%25%32%65%25%32%65/admin/secret',
    '/public/%25u002e%25u002e/admin/secret', '/public/%252f../admin/secret', '/public/%u002e%u002e/admin/secret'),
  // "?" and "#" that come back once decoded (Apache httpd re-splits a decoded path)
  ...refused('encoded query and fragment', '/admin%3f/secret', '/admin%3F.php', '/admin%23/secret', '/public/..%3f/admin/secret',
    '/internal%3f/x'),
  // Unicode that lenient decoders, NFKC or case mappings turn into ASCII
  ...refused('unicode', '/public/%e2%80%a5/admin/secret', '/public/%ef%bc%8e%ef%bc%8e%ef%bc%8fadmin/secret', '/%ef%bd%81dmin/secret',
    '/adm%c4%b1n/secret', '/%e2%84%aaey', '/admin%c2%a0/secret', '/ad%c2%admin/secret', '/ad%e2%80%8bmin/secret', '/public/%ef%bc%bc../admin',
    '/%c5%bfecret', '/stra%c3%9fe'),
  ...refused('invalid UTF-8', '/admin%ff/secret', '/%c0%afadmin', '/public/%e0%80%ae%e0%80%ae/admin/secret', '/public/%ed%a0%80',
    '/public/%f8%80%80%80%ae', '/public/caf\u00e9'),
  ...refused('NUL and controls', '/admin%00/secret', '/public/%00/../admin/secret', '/admin%0a/secret', '/admin%0d%0a/secret',
    '/admin%09/secret', '/admin%7f/secret'),
  // what must keep working
  ...either('raw UTF-8 bytes (Node refuses them before Gatehouse sees them)', '/public/caf\u00c3\u00a9'),
  ...forwarded('legitimate', '/public/x', '/public/a;v=1/b', '/public/caf%C3%A9', '/public/%7Euser', '/public/~user',
    '/public/c%2B%2B', '/public/50%25off', '/public/a:b', '/public/v1.2/x', '/public/.well-known/x', '/public/%E6%97%A5%E6%9C%AC',
    '/app/page', '/App/Page', '/PUBLIC/x', '/public/?/../admin/secret', '/public/?x=%2e%2e', '/public/x?next=/admin/secret',
    'http://gatehouse.test/public/x', '/'),
];
