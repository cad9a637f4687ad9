/** Who a request comes from, once a session or token has been validated. */
export interface Identity {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly roles: readonly string[];
  /** Approved organizations the user belongs to, with their role in each. */
  readonly orgs: readonly { readonly slug: string; readonly role: string }[];
  /** Session id (token hash) the identity came from, for logout and last-seen. */
  readonly sessionId?: string;
}
