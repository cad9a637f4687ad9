import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A duration written as "30s", "250ms", "5m", "1h", "7d" or a number of seconds; parsed to milliseconds. */
export const durationMs = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as "30s", "250ms" or "5m", got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return ms;
});

/** "host:port" to listen on; IPv6 hosts in brackets. */
export const listenAddress = z.string().transform((value, ctx) => {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)?:(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `expected "host:port" such as "0.0.0.0:4180", got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  const host = (m[1] ?? '0.0.0.0').replace(/^\[|\]$/g, '');
  return { host, port };
});

/** An absolute http(s) URL. */
export const httpUrl = z.string().refine((value) => {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, { message: 'expected an absolute http:// or https:// URL' });

/** A positive integer with a name for the message. */
export const positiveInt = z.number().int().positive();

/** Checks one trusted_proxies entry; returns a problem message or undefined. */
export function checkTrustedProxyEntry(entry: string): string | undefined {
  const [address, bits, extra] = entry.split('/');
  if (extra !== undefined || address === undefined) return `expected an IP or CIDR, got "${entry}"`;
  const v4 = isIPv4(address);
  if (!v4 && !isIPv6(address)) return `expected an IP or CIDR, got "${entry}"`;
  if (bits !== undefined) {
    const n = Number(bits);
    if (!/^\d+$/.test(bits) || n > (v4 ? 32 : 128)) return `bad prefix length in "${entry}"`;
  }
  return undefined;
}
