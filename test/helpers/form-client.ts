// A browser without a browser: a cookie jar and form posts over real HTTP, for the server-rendered account pages.
// It reads each page's CSRF token from its hidden field and posts urlencoded forms as a browser would (same-site
// Origin), and it never follows redirects, so tests see each 303 and where it points.
import { send } from './core-net.js';

export interface PageAnswer {
  status: number;
  location: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One browser: its cookies, and helpers to load pages and submit their forms. */
export class FormClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly port: number, readonly origin = 'http://127.0.0.1', readonly extraHeaders: Record<string, string> = {}) {}

  /** GET a path with the jar's cookies (Accept: text/html). */
  async get(path: string): Promise<PageAnswer> {
    return this.#exchange('GET', path);
  }

  /** POST a form; `csrf: true` takes the token from the jar's CSRF cookie (what the page's hidden field holds). */
  async post(path: string, fields: Record<string, string>, options: { csrf?: boolean; origin?: string } = {}): Promise<PageAnswer> {
    const form = new URLSearchParams(fields);
    if (options.csrf !== false && !form.has('csrf')) form.set('csrf', this.csrfToken() ?? '');
    return this.#exchange('POST', path, form.toString(), options.origin ?? this.origin);
  }

  /** The CSRF token a page handed this browser. */
  csrfToken(): string | undefined {
    for (const [name, value] of this.cookies) if (name.endsWith('gatehouse-csrf')) return value;
    return undefined;
  }

  /** The session cookie's value, if signed in. */
  session(name = 'gh_session'): string | undefined {
    return this.cookies.get(name);
  }

  async #exchange(method: string, path: string, body?: string, origin?: string): Promise<PageAnswer> {
    const headers: Record<string, string> = { accept: 'text/html', ...this.extraHeaders };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (origin !== undefined) headers.origin = origin;
    const res = await send(this.port, { method, path, headers, ...(body === undefined ? {} : { body }) });
    const set = res.headers['set-cookie'];
    for (const line of Array.isArray(set) ? set : set ? [set] : []) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const location = res.headers.location;
    return { status: res.status, location: typeof location === 'string' ? location : undefined, headers: res.headers, body: res.body };
  }
}

/** The text of the field error tied to input `id` (via aria-describedby), or undefined. */
export function fieldError(html: string, id: string): string | undefined {
  const input = new RegExp(`<input id="${id}"[^>]*>`).exec(html)?.[0];
  if (input === undefined) throw new Error(`no input #${id} in the page`);
  if (!/aria-invalid="true"/.test(input)) return undefined;
  const ids = /aria-describedby="([^"]+)"/.exec(input)?.[1]?.split(' ') ?? [];
  const errorId = ids.find((x) => x.endsWith('-error'));
  if (errorId === undefined) return undefined;
  return new RegExp(`<p class="field-error" id="${errorId}">([^<]*)</p>`).exec(html)?.[1];
}
