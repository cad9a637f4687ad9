import type { CredentialHeaders } from '../context.js';
import type { Identity } from './identity.js';

/** What an authenticator answers when the request carries no credential of its kind: the next one is asked. */
export const ABSENT: unique symbol = Symbol('absent');

/**
 * One way of proving who the caller is (oauth2-proxy's session loaders, Oathkeeper's authenticators). It looks at
 * the request's credential headers and answers, synchronously, ABSENT when it finds no credential of its kind;
 * otherwise the identity, or undefined when the credential does not hold (the chain stops there: a presented but
 * bad credential is never replaced by another one the request happens to carry).
 */
export interface Authenticator {
  readonly name: string;
  authenticate(headers: CredentialHeaders): typeof ABSENT | Identity | undefined | Promise<Identity | undefined>;
  /**
   * Without I/O or side effects: ABSENT when the request carries no credential of this kind, else whether that
   * credential is already known good (a cached session). Admission's priority check; absent means "never known".
   */
  recognise?(headers: CredentialHeaders): typeof ABSENT | boolean;
}

/** The authenticate stage: the first authenticator that finds a credential decides. */
export type Authenticate = (headers: CredentialHeaders) => Identity | undefined | Promise<Identity | undefined>;

/**
 * Builds the authenticate stage over an ordered list (today: bearer, then cookie). A cache hit stays free of extra
 * promise hops: a synchronous answer is passed on as it is.
 */
export function authenticateChain(authenticators: readonly Authenticator[]): Authenticate {
  const list = [...authenticators];
  return (headers) => {
    for (let i = 0; i < list.length; i++) {
      const answer = list[i]!.authenticate(headers);
      if (answer !== ABSENT) return answer;
    }
    return undefined;
  };
}

/** Whether a request carries a credential already known good, by the same first-credential-decides rule. */
export type Recognise = (headers: CredentialHeaders) => boolean;

/** Builds the recognise check over the same ordered list as `authenticateChain`. */
export function recogniseChain(authenticators: readonly Authenticator[]): Recognise {
  const list = [...authenticators];
  return (headers) => {
    for (let i = 0; i < list.length; i++) {
      // One that cannot tell without work is passed over: this decides an order under load, never access.
      const answer = list[i]!.recognise?.(headers) ?? ABSENT;
      if (answer !== ABSENT) return answer;
    }
    return false;
  };
}
