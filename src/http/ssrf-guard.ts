/**
 * SSRF defences for webhook targets (OWASP SSRF prevention cheat sheet; ASVS 5.2.6). A webhook URL is chosen by an
 * org admin, and Gatehouse usually runs next to things that must not be reachable from outside (metadata services,
 * databases, the admin listener), so by default only public unicast addresses may be targets. Three checks:
 *
 * 1. At registration (api/webhook-url.ts): scheme http(s), no credentials, no fragment, and a host that is not a
 *    non-public IP literal, not `localhost`, and (best effort) does not resolve to a non-public address.
 * 2. At connect time, in the deliverer's undici Agent: the DNS answer is filtered (`lookup`), so a name that
 *    resolves to a public address at registration and to 127.0.0.1 later (DNS rebinding) is refused.
 * 3. After connecting: the socket's remote address is checked again (covers IP literals, which skip lookup).
 *
 * `webhooks.allow_private_targets: true` turns all three off (tests and all-internal deployments).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type Socket } from 'node:net';
import { buildConnector } from 'undici';
import { GatehouseError } from '../errors/index.js';

// Two lists: a BlockList checks an IPv4 address against its IPv6 rules too (as ::ffff:a.b.c.d), which would make
// the IPv4-mapped rule below refuse every IPv4 address.
const BLOCKED4 = new BlockList();
const BLOCKED6 = new BlockList();
// IPv4 (RFC 6890 special-purpose registry): this network, private, CGNAT, loopback, link-local, IETF protocol
// assignments, TEST-NETs, 6to4 relay, benchmarking, multicast, reserved and broadcast.
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED4.addSubnet(net, bits, 'ipv4');
// IPv6: unspecified, loopback, IPv4-mapped and IPv4-compatible (they reach IPv4 hosts), NAT64, discard, IETF
// protocol assignments (incl. Teredo), documentation, 6to4, unique-local, site-local, link-local, multicast.
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['::ffff:0:0', 96], ['::', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64],
  ['2001::', 23], ['2001:db8::', 32], ['2002::', 16], ['fc00::', 7], ['fec0::', 10], ['fe80::', 10], ['ff00::', 8],
] as const) BLOCKED6.addSubnet(net, bits, 'ipv6');

/** Whether an IP address is anything but public unicast (true for strings that are not IP addresses). */
export function isNonPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return true;
  return family === 4 ? BLOCKED4.check(bare, 'ipv4') : BLOCKED6.check(bare, 'ipv6');
}

/** A delivery target refused by the SSRF guard (never retried: the target itself is the problem). */
export class WebhookTargetRefusedError extends GatehouseError {
  constructor(reason: string) {
    super('GATE_ERR_WEBHOOK_TARGET_REFUSED', `webhook target refused: ${reason}`);
  }
}

/** Whether a host name is a name for this machine (localhost and its subdomains). */
export function isLocalName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === 'localhost.localdomain';
}

/** Every address a name resolves to; none on failure or after `timeoutMs` (a failure is not a refusal: the name may exist later). */
export function resolveAll(host: string, timeoutMs: number): Promise<LookupAddress[]> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve([]), timeoutMs);
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => {
      clearTimeout(timer);
      resolve(err ? [] : addresses);
    });
  });
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net.connect that drops non-public answers; when nothing public is left the connection fails with
 * WebhookTargetRefusedError before any packet is sent. Handles both the single-address and the `all` forms.
 */
export function publicOnlyLookup(hostname: string, options: { all?: boolean; family?: number | string } | number | undefined, callback: LookupCallback): void {
  const opts = typeof options === 'object' && options !== null ? options : {};
  const family = typeof opts.family === 'number' ? opts.family : 0;
  dnsLookup(hostname, { all: true, verbatim: true, family }, (err, addresses) => {
    if (err) {
      callback(err, []);
      return;
    }
    const usable = addresses.filter((a) => !isNonPublicAddress(a.address));
    if (usable.length === 0) {
      callback(Object.assign(new WebhookTargetRefusedError(`${hostname} resolves only to non-public addresses`), { errno: 0 }) as unknown as NodeJS.ErrnoException, []);
      return;
    }
    if (opts.all) callback(null, usable);
    else callback(null, usable[0]!.address, usable[0]!.family);
  });
}

/**
 * The connector for the deliverer's Agent: DNS answers filtered, IP literals judged before connecting, and the
 * address actually connected to judged again. With `allowPrivate` it is undici's default connector.
 */
export function guardedConnector(allowPrivate: boolean, timeoutMs: number): buildConnector.connector {
  if (allowPrivate) return buildConnector({ timeout: timeoutMs });
  const base = buildConnector({ timeout: timeoutMs, lookup: publicOnlyLookup } as buildConnector.BuildOptions);
  return (options, callback) => {
    const host = options.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && isNonPublicAddress(host)) {
      callback(new WebhookTargetRefusedError(`${host} is not a public address`), null);
      return;
    }
    base(options, (err, socket) => {
      if (err || !socket) {
        callback(err ?? new Error('connect failed'), null);
        return;
      }
      const remote = (socket as Socket).remoteAddress;
      if (remote === undefined || isNonPublicAddress(remote)) {
        socket.destroy();
        callback(new WebhookTargetRefusedError(`connected to non-public address ${remote ?? '(unknown)'}`), null);
        return;
      }
      callback(null, socket);
    });
  };
}

/** Finds a WebhookTargetRefusedError anywhere in an error's cause chain (undici may wrap connector errors). */
export function refusalIn(err: unknown): WebhookTargetRefusedError | undefined {
  for (let e: unknown = err, i = 0; e !== null && e !== undefined && i < 8; e = (e as { cause?: unknown }).cause, i++) {
    if (e instanceof WebhookTargetRefusedError) return e;
    if ((e as { code?: unknown }).code === 'GATE_ERR_WEBHOOK_TARGET_REFUSED') return e as WebhookTargetRefusedError;
  }
  return undefined;
}

