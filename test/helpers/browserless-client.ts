// A tiny cookie-keeping HTTP client for end-to-end tests of Gatehouse's own pages and API (no browser needed).
import { send, type Answer } from './core-net.js';

/** A client that keeps cookies like a browser would (by name, ignoring attributes), for one Gatehouse. */
export class Client {
  readonly cookies = new Map<string, string>();
  constructor(readonly port: number) {}

  cookieHeader(): string | undefined {
    return this.cookies.size === 0 ? undefined : [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, path: string, options: { headers?: Record<string, string>; json?: unknown; form?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    const cookie = this.cookieHeader();
    if (cookie !== undefined && headers['cookie'] === undefined) headers['cookie'] = cookie;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    const answer = await send(this.port, { method, path, headers, ...(body === undefined ? {} : { body }) });
    const setCookie = answer.headers['set-cookie'] ?? [];
    for (const line of setCookie) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/Max-Age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return answer;
  }

  /**
   * Registers (POST /.gatehouse/register answers 202 alike for new and taken addresses, and signs nobody in), then
   * signs in with the same password: the login's answer (200 with the user and token, and the cookies) is returned.
   */
  async signUp(body: { email: string; password: string; name?: string }, headers: Record<string, string> = {}): Promise<Answer> {
    const reg = await this.request('POST', '/.gatehouse/register', { json: body, headers });
    if (reg.status !== 202) return reg;
    return this.request('POST', '/.gatehouse/login', { json: { email: body.email, password: body.password }, headers });
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    return this.request('GET', path, { headers });
  }

  /** Loads the login page and returns the CSRF token its form carries. */
  async csrfToken(): Promise<string> {
    const page = await this.get('/.gatehouse/login', { accept: 'text/html' });
    const m = /name="csrf" value="([^"]+)"/.exec(page.body);
    if (!m) throw new Error(`no csrf field on the login page (status ${page.status})`);
    return m[1]!;
  }
}
