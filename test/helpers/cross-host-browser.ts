// A browser without a browser, for sign-in across hosts: names resolve to loopback ports (as a hosts file would),
// cookies are kept the way RFC 6265 §5.3 stores them (host-only unless Domain is set, then for the domain and its
// subdomains), pages are asked for with Accept: text/html, redirects are followed one by one and recorded, and forms
// are posted with the page's Origin and CSRF field. Enough to walk ingress -> Gatehouse -> ingress without chromium.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

interface StoredCookie { name: string; value: string; domain: string; hostOnly: boolean }

export interface Visit {
  readonly url: string;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export class CrossHostBrowser {
  readonly #ports: ReadonlyMap<string, number>;
  readonly #cookies: StoredCookie[] = [];
  /** Every URL visited, in order (redirects included). */
  readonly history: string[] = [];

  /** `ports`: host name -> loopback port it resolves to. URLs name `http://host:port/...` as a browser would. */
  constructor(ports: Record<string, number>, readonly extraHeaders: Record<string, string> = {}) {
    this.#ports = new Map(Object.entries(ports));
  }

  /** The cookies the jar would send to `host`. */
  cookiesFor(host: string): StoredCookie[] {
    const h = host.toLowerCase();
    return this.#cookies.filter((c) => (c.hostOnly ? c.domain === h : h === c.domain || h.endsWith(`.${c.domain}`)));
  }

  /** All stored cookies (for assertions on attributes). */
  get jar(): readonly StoredCookie[] {
    return this.#cookies;
  }

  /** GET `url`, following up to `max` redirects; returns the last answer. */
  async open(url: string, max = 6): Promise<Visit> {
    let visit = await this.request('GET', url);
    for (let i = 0; i < max && [301, 302, 303, 307, 308].includes(visit.status); i++) {
      const location = visit.headers.location;
      if (typeof location !== 'string') break;
      visit = await this.request('GET', new URL(location, visit.url).href);
    }
    return visit;
  }

  /** Submits the first form on `page` whose action matches, with `fields` over its hidden ones; follows redirects. */
  async submit(page: Visit, action: string, fields: Record<string, string>): Promise<Visit> {
    const form = new RegExp(`<form[^>]*action="${action.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"[^>]*>([\\s\\S]*?)</form>`).exec(page.body);
    if (form === null) throw new Error(`no form posting to ${action} on ${page.url}:\n${page.body.slice(0, 500)}`);
    const data = new URLSearchParams();
    for (const m of form[1]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) data.set(m[1]!, decodeEntities(m[2]!));
    for (const [k, v] of Object.entries(fields)) data.set(k, v);
    const target = new URL(action, page.url);
    const origin = new URL(page.url).origin;
    let visit = await this.request('POST', target.href, data.toString(), { 'content-type': 'application/x-www-form-urlencoded', origin });
    for (let i = 0; i < 6 && [301, 302, 303, 307, 308].includes(visit.status); i++) {
      const location = visit.headers.location;
      if (typeof location !== 'string') break;
      visit = await this.request('GET', new URL(location, visit.url).href);
    }
    return visit;
  }

  /** One request, no redirect followed. */
  async request(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<Visit> {
    const u = new URL(url);
    const port = this.#ports.get(u.hostname) ?? (() => { throw new Error(`the test browser cannot resolve ${u.hostname} (${url})`); })();
    this.history.push(`${method} ${url}`);
    const cookie = this.cookiesFor(u.hostname).map((c) => `${c.name}=${c.value}`).join('; ');
    const answer = await new Promise<Visit>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1', port, method, path: u.pathname + u.search, agent: false, timeout: 5000,
        headers: { host: u.host, accept: 'text/html,application/xhtml+xml', ...this.extraHeaders, ...(cookie === '' ? {} : { cookie }), ...headers },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ url, status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
      req.on('error', reject);
      req.end(body);
    });
    this.#store(u.hostname.toLowerCase(), answer.headers['set-cookie'] ?? []);
    return answer;
  }

  #store(host: string, lines: string[]): void {
    for (const line of lines) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const domainAttr = attrs.map((a) => a.trim()).find((a) => /^domain=/i.test(a))?.slice(7).replace(/^\./, '').toLowerCase();
      // RFC 6265 §5.3 step 6: a Domain the host is not within is ignored (the whole cookie is).
      if (domainAttr !== undefined && host !== domainAttr && !host.endsWith(`.${domainAttr}`)) continue;
      const domain = domainAttr ?? host;
      const hostOnly = domainAttr === undefined;
      const index = this.#cookies.findIndex((c) => c.name === name && c.domain === domain && c.hostOnly === hostOnly);
      if (index >= 0) this.#cookies.splice(index, 1);
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (!expired) this.#cookies.push({ name, value, domain, hostOnly });
    }
  }
}

/** HTML entities as Mustache and escapeHtml write them. */
export function decodeEntities(text: string): string {
  return text.replace(/&#x([0-9a-f]+);/gi, (_m, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#([0-9]+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
