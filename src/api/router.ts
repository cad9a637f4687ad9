/**
 * The API's own router: method + path pattern (`/orgs/:org/members/:user`), compiled once at start-up into
 * segment lists. Parameters match one non-empty segment; the ingress has already normalised the path (dot
 * segments, double slashes, percent-encoding) before it gets here.
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RouteDefinition<H> {
  readonly method: HttpMethod;
  /** e.g. `/orgs/:org/webhooks/:webhook` */
  readonly pattern: string;
  readonly handler: H;
}

type Segment = { literal: string } | { param: string };

interface Compiled<H> {
  def: RouteDefinition<H>;
  segments: Segment[];
}

export type RouteMatch<H> =
  | { kind: 'found'; route: RouteDefinition<H>; params: Record<string, string> }
  | { kind: 'method'; allow: HttpMethod[] }
  | { kind: 'none' };

export class ApiRouter<H> {
  readonly #routes: Compiled<H>[] = [];

  add(def: RouteDefinition<H>): this {
    const segments = def.pattern.split('/').slice(1).map((s): Segment => (s.startsWith(':') ? { param: s.slice(1) } : { literal: s }));
    for (const r of this.#routes) {
      if (r.def.method === def.method && r.def.pattern === def.pattern) throw new TypeError(`duplicate API route ${def.method} ${def.pattern}`);
    }
    this.#routes.push({ def, segments });
    return this;
  }

  /** Every route, for the OpenAPI document check and the authorization matrix. */
  routes(): readonly RouteDefinition<H>[] {
    return this.#routes.map((r) => r.def);
  }

  /** The route for a method and path (HEAD is GET), or why there is none. */
  match(method: string, path: string): RouteMatch<H> {
    const parts = path.split('/').slice(1);
    const wanted = method === 'HEAD' ? 'GET' : method;
    const allow: HttpMethod[] = [];
    for (const r of this.#routes) {
      const params = matchSegments(r.segments, parts);
      if (params === undefined) continue;
      if (r.def.method === wanted) return { kind: 'found', route: r.def, params };
      allow.push(r.def.method);
    }
    return allow.length > 0 ? { kind: 'method', allow } : { kind: 'none' };
  }
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const part = parts[i]!;
    if ('literal' in seg) {
      if (seg.literal !== part) return undefined;
    } else {
      if (part === '') return undefined;
      params[seg.param] = part;
    }
  }
  return params;
}
