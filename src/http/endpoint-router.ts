import type { IncomingMessage, ServerResponse } from 'node:http';

/** What an endpoint handler gets besides the raw request: the judged path, query and client address. */
export interface EndpointContext {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly clientIp: string;
}

export type EndpointHandler = (req: IncomingMessage, res: ServerResponse, ctx: EndpointContext) => void | Promise<void>;

/**
 * Gatehouse's own endpoints under /.gatehouse/, keyed by exact path and method. Concerns register their endpoints
 * (login, logout, OAuth, API) at start-up; the ingress asks `find` for each reserved request.
 */
export class EndpointRouter {
  readonly #byPath = new Map<string, Map<string, EndpointHandler>>();
  readonly #prefixes: { prefix: string; handler: EndpointHandler }[] = [];

  /** Registers a handler for one method and exact path. */
  add(method: string, path: string, handler: EndpointHandler): this {
    let methods = this.#byPath.get(path);
    if (!methods) this.#byPath.set(path, (methods = new Map()));
    methods.set(method, handler);
    if (method === 'GET' && !methods.has('HEAD')) methods.set('HEAD', handler);
    return this;
  }

  /** Registers a handler for every path under a prefix (it routes further itself, e.g. the SSO API). */
  addPrefix(prefix: string, handler: EndpointHandler): this {
    this.#prefixes.push({ prefix, handler });
    return this;
  }

  /** The handler for a request, `'method'` when the path exists but not for this method, undefined when unknown. */
  find(method: string, path: string): EndpointHandler | 'method' | undefined {
    const methods = this.#byPath.get(path);
    if (methods) return methods.get(method) ?? 'method';
    for (const { prefix, handler } of this.#prefixes) if (path.startsWith(prefix)) return handler;
    return undefined;
  }
}
