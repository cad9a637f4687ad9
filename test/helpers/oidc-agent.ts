// A browserless user agent for OAuth flows that cross origins (Gatehouse and the provider on two loopback ports):
// keeps cookies per origin like a browser, follows nothing by itself (tests see every hop), and can drive
// oidc-provider's development login page.
import { send, type Answer } from './core-net.js';

export interface AgentAnswer extends Answer {
  readonly url: URL;
  /** The Location header resolved against the request URL, when there is one. */
  readonly location: URL | undefined;
}

/** A cookie-keeping client for several loopback origins. */
export class OAuthAgent {
  /** origin -> (cookie name -> value) */
  readonly jars = new Map<string, Map<string, string>>();

  constructor(readonly headers: Record<string, string> = { accept: 'text/html' }) {}

  jar(url: string | URL): Map<string, string> {
    const origin = new URL(url).origin;
    let jar = this.jars.get(origin);
    if (!jar) this.jars.set(origin, (jar = new Map()));
    return jar;
  }

  async request(method: string, url: string | URL, options: { form?: Record<string, string>; headers?: Record<string, string>; omitCookies?: boolean } = {}): Promise<AgentAnswer> {
    const target = new URL(url);
    if (target.hostname !== '127.0.0.1') throw new Error(`the agent talks to 127.0.0.1 only, not ${target.host}`);
    const headers: Record<string, string> = { ...this.headers, ...options.headers };
    const jar = this.jar(target);
    if (!options.omitCookies && jar.size > 0 && headers['cookie'] === undefined) headers['cookie'] = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (options.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    const answer = await send(Number(target.port), { method, path: target.pathname + target.search, headers, ...(body === undefined ? {} : { body }) });
    for (const line of answer.headers['set-cookie'] ?? []) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/Max-Age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line) || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    const location = answer.headers.location === undefined ? undefined : new URL(answer.headers.location, target);
    return { ...answer, url: target, location };
  }

  get(url: string | URL, headers: Record<string, string> = {}): Promise<AgentAnswer> {
    return this.request('GET', url, { headers });
  }
}

/**
 * From a URL that starts a login (Gatehouse's /start, or a protected page), through the provider's login page
 * (typing `login`), to the moment the provider redirects back to Gatehouse: returns that callback URL without
 * following it, so a test can replay, tamper with or deliver it. `abort` clicks the login page's cancel link.
 */
export async function authorizeAtProvider(agent: OAuthAgent, startUrl: string | URL, login: string,
  options: { abort?: boolean; returnTo?: string } = {}): Promise<URL> {
  const gatehouse = options.returnTo ?? new URL(startUrl).origin;
  let answer = await agent.get(startUrl);
  for (let step = 0; step < 12; step++) {
    if (answer.status >= 300 && answer.status < 400 && answer.location !== undefined) {
      if (answer.location.origin === gatehouse && answer.url.origin !== gatehouse) return answer.location;
      answer = await agent.get(answer.location);
      continue;
    }
    if (answer.status === 200 && /name="prompt" value="login"/.test(answer.body)) {
      if (options.abort) {
        const abort = /href="([^"]*\/abort)"/.exec(answer.body);
        if (!abort) throw new Error('no abort link on the provider login page');
        answer = await agent.get(new URL(abort[1]!, answer.url));
        continue;
      }
      const action = /<form[^>]*action="([^"]+)"/.exec(answer.body);
      if (!action) throw new Error('no form on the provider login page');
      answer = await agent.request('POST', new URL(action[1]!, answer.url), { form: { prompt: 'login', login, password: 'any password' } });
      continue;
    }
    if (answer.status === 200 && /name="prompt" value="consent"/.test(answer.body)) {
      const action = /<form[^>]*action="([^"]+)"/.exec(answer.body);
      answer = await agent.request('POST', new URL(action![1]!, answer.url), { form: { prompt: 'consent' } });
      continue;
    }
    throw new Error(`unexpected answer at ${answer.url.href}: ${answer.status} ${answer.body.slice(0, 300)}`);
  }
  throw new Error('too many redirects');
}
