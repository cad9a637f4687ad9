import { GatehouseError } from '../../errors/index.js';

/**
 * Checks an email for a new account: one "@", a dot in the domain, no spaces or control characters, at most 254
 * characters (RFC 5321 §4.5.3.1.3). Addresses with two "@" are refused outright: they are how "allowed domain"
 * checks get fooled ("a@evil.com@good.com").
 */
export function checkEmail(raw: string): string {
  const email = raw.trim();
  if (email.length > 254 || !/^[^\s@\u0000-\u001f\u007f]+@[^\s@\u0000-\u001f\u007f]+\.[^\s@\u0000-\u001f\u007f]+$/.test(email)) {
    throw new GatehouseError('GATE_ERR_BAD_REQUEST', 'email: expected an address like name@example.com');
  }
  return email;
}

/** Checks a display name: at most 200 characters, no control characters. */
export function checkDisplayName(raw: string): string {
  const name = raw.trim();
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new GatehouseError('GATE_ERR_BAD_REQUEST', 'name: control characters are not allowed');
  return name;
}
