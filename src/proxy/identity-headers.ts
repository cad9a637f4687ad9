/**
 * Headers an upstream could take as a statement of who the caller is. Gatehouse is the only one allowed to make such
 * statements, so every incoming header in these families is removed on every route, public ones included. Names are
 * compared lower-cased with "_" read as "-", because many servers (nginx with underscores_in_headers, CGI/WSGI
 * stacks, PHP) fold X_Auth_User into the same variable as X-Auth-User.
 */
const EXACT = new Set([
  'remote-user', 'remote-email', 'remote-name', 'remote-groups', 'remote-roles',
  'x-user', 'x-user-id', 'x-userid', 'x-username', 'x-email', 'x-user-email', 'x-groups', 'x-roles',
  'x-forwarded-user', 'x-forwarded-email', 'x-forwarded-groups', 'x-forwarded-roles', 'x-forwarded-name',
  'x-forwarded-preferred-username', 'x-forwarded-access-token', 'x-forwarded-id-token',
  'gap-auth', 'x-credential-username', 'x-consumer-username', 'x-consumer-id', 'x-jwt-assertion',
]);

const PREFIXES = [
  'x-auth-', 'x-auth_', 'x-remote-', 'remote-user', 'x-webauth-', 'x-authenticated-', 'x-pomerium-', 'x-amzn-oidc-',
  'x-goog-authenticated-', 'x-ms-client-principal', 'cf-access-authenticated-', 'x-forwarded-user', 'x-forwarded-email',
  'x-forwarded-groups', 'x-forwarded-preferred', 'x-forwarded-access', 'x-gatehouse-',
];

/**
 * Builds the predicate for one configured identity prefix (e.g. "X-Auth-") and the other names Gatehouse states
 * identity in (the signed assertion's header, `signed_identity.header`); compiled once per config.
 */
export function identityHeaderMatcher(configuredPrefix: string, ownNames: readonly string[] = []): (name: string) => boolean {
  const own = configuredPrefix.toLowerCase().replaceAll('_', '-');
  const prefixes = PREFIXES.includes(own) ? PREFIXES : [...PREFIXES, own];
  const names = new Set(ownNames.map((n) => n.toLowerCase().replaceAll('_', '-')));
  const judge = (name: string): boolean => {
    const n = name.toLowerCase().replaceAll('_', '-');
    if (EXACT.has(n) || names.has(n)) return true;
    for (const p of prefixes) if (n.startsWith(p)) return true;
    return false;
  };
  // Header names repeat from request to request: remember the verdict per spelling (bounded: clients choose names).
  const memo = new Map<string, boolean>();
  return (name: string) => {
    let verdict = memo.get(name);
    if (verdict === undefined) {
      verdict = judge(name);
      if (memo.size < 2048) memo.set(name, verdict);
    }
    return verdict;
  };
}

/** The caller's identity as Gatehouse states it to upstreams. */
export interface IdentityClaims {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly roles: readonly string[];
  /** Approved organization memberships; absent means none. */
  readonly orgs?: readonly { readonly slug: string; readonly role: string }[];
  /** Whether the email was proven; absent is stated as false. */
  readonly emailVerified?: boolean;
  /** RFC 8176 amr values of the session. */
  readonly amr?: readonly string[];
}

/**
 * The identity headers for one caller under the configured prefix: User-Id, Email, Name, Roles (comma-separated),
 * Orgs (`slug:role` pairs, comma-separated), Email-Verified (`true`/`false`), Amr (how the session signed in).
 * Control characters are removed and non-ASCII text is percent-encoded (RFC 8187 style) so a display name can never
 * split a header or smuggle another one.
 */
export function identityHeaders(prefix: string, identity: IdentityClaims): [string, string][] {
  return [
    [`${prefix}User-Id`, headerSafe(identity.userId)],
    [`${prefix}Email`, headerSafe(identity.email)],
    [`${prefix}Name`, headerSafe(identity.name)],
    [`${prefix}Roles`, identity.roles.map(headerSafe).join(',')],
    // `slug:role` pairs, comma-separated (e.g. `acme:owner,globex:member`); slugs are [a-z0-9-] and roles fixed words,
    // so neither separator can appear inside a pair.
    [`${prefix}Orgs`, (identity.orgs ?? []).map((o) => `${headerSafe(o.slug)}:${headerSafe(o.role)}`).join(',')],
    [`${prefix}Email-Verified`, identity.emailVerified === true ? 'true' : 'false'],
    // amr values are fixed lower-case words (RFC 8176 §2), so commas cannot appear inside one.
    [`${prefix}Amr`, (identity.amr ?? []).map(headerSafe).join(',')],
  ];
}

function headerSafe(value: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = value.replace(/[\u0000-\u001f\u007f]/g, '');
  return /^[\u0020-\u007e]*$/.test(printable) ? printable : encodeURIComponent(printable);
}
