/**
 * The one canonical form of an email address, wherever two spellings must be judged the same account: the store's
 * unique column and every lookup by email, login throttling, audit targets. Trimmed, NFKC-normalised (a full-width,
 * ligature or other compatibility spelling is the address it looks like: Unicode UAX #15) and lower-cased.
 */
export function canonicalEmail(email: string): string {
  return email.trim().normalize('NFKC').toLowerCase();
}

/**
 * The form the store's unique column held before NFKC was applied there (trimmed and lower-cased only). Rows
 * written then are still found by it; for every address already in NFKC (plain ASCII ones included) it is the same.
 */
export function legacyEmailKey(email: string): string {
  return email.trim().toLowerCase();
}
