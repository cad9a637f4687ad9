import { isIP } from 'node:net';
import { isLocalName, isNonPublicAddress, resolveAll } from '../http/ssrf-guard.js';
import { ApiValidationError } from './errors.js';

/**
 * Checks a webhook URL for registration; returns it normalised (WHATWG URL serialisation). Refusals are 400s naming
 * `field`. DNS failures are not refusals (the name may exist later); the connect-time guard still applies.
 */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean, field = 'url'): Promise<string> {
  if (raw.length > 2048) throw new ApiValidationError(field, 'expected at most 2048 characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ApiValidationError(field, 'expected an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ApiValidationError(field, 'expected an http:// or https:// URL');
  if (url.username !== '' || url.password !== '') throw new ApiValidationError(field, 'credentials in the URL are not allowed');
  if (url.hash !== '' || raw.includes('#')) throw new ApiValidationError(field, 'a fragment is not allowed');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new ApiValidationError(field, 'expected a host');
  if (!allowPrivate) {
    if (isIP(host) !== 0) {
      if (isNonPublicAddress(host)) throw new ApiValidationError(field, 'the target is a loopback, private or otherwise non-public address');
    } else if (isLocalName(host)) {
      throw new ApiValidationError(field, 'the target is a loopback, private or otherwise non-public address');
    } else {
      const addresses = await resolveAll(host, 2_000);
      if (addresses.some((a) => isNonPublicAddress(a.address))) {
        throw new ApiValidationError(field, 'the target resolves to a loopback, private or otherwise non-public address');
      }
    }
  }
  return url.toString();
}

