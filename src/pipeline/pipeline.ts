import { isGatehouseError, type GatehouseError } from '../errors/index.js';
import type { ClientAddress } from '../proxy/client-address.js';
import type { CompiledRoute } from '../routing/index.js';
import type { RequestContext, RequestFacts } from './context.js';
import { judge } from './2-judge/judge.js';
import type { Authenticate, Recognise } from './3-authenticate/authenticate.js';
import type { Identity } from './3-authenticate/identity.js';
import type { RequestClass } from './1-admit/admit.js';
import { needsIdentity, type Authorize, type Decision } from './4-authorize/decide.js';
import type { Header, Mutate } from './5-mutate/mutate.js';
import type { RuntimeTable } from './runtime-table.js';

/**
 * What the stages before the forward concluded about one request. A transport acts on it: the HTTP transport
 * forwards or answers, the Upgrade transport splices or answers on the raw socket, a forward-auth transport answers
 * with the decision and `headers`.
 */
export type Evaluation =
  /** The judge refused the request (bad path or Host, no route); answer `error`. */
  | { readonly kind: 'refused'; readonly client: ClientAddress; readonly error: GatehouseError }
  /** Gatehouse's own path (/.gatehouse/...): for its endpoints, never forwarded. */
  | { readonly kind: 'reserved'; readonly client: ClientAddress; readonly path: string; readonly query: string }
  /** A route matched and the caller was authorized, or not. `headers` are the mutators' assertions (allowed only). */
  | {
    readonly kind: 'decided'; readonly client: ClientAddress; readonly route: CompiledRoute; readonly pathAndQuery: string;
    readonly decision: Decision; readonly headers: readonly Header[];
    /** An Upgrade request's protocols (each allowed by the route when the decision is allow); empty otherwise. */
    readonly upgrade: readonly string[];
  };

/** The stages, as the composition root builds them. */
export interface PipelineStages {
  readonly authenticate: Authenticate;
  /** Whether a request carries a credential already known good, without I/O (admission's priority; absent: never). */
  readonly recognise?: Recognise;
  readonly authorize: Authorize;
  readonly mutate: Mutate;
  /** Where a browser signs in, returning to `rd` (the authorize stage's; forward-auth's sign-in start uses it too). */
  readonly signInUrl?: (rd: string) => string;
}

/**
 * The request pipeline without its two ends (admission before, the forward after): judge -> authenticate (only for
 * routes whose policy looks at the caller) -> authorize -> mutate. Every transport runs exactly this, so a request,
 * an upgrade and a forward-auth check of the same original request cannot be judged apart.
 */
export class Pipeline {
  readonly stages: PipelineStages;

  constructor(stages: PipelineStages) {
    this.stages = stages;
  }

  /**
   * The admission class of a request, without I/O: Gatehouse's own endpoints; a public route; a protected route with
   * a credential already known good (a cached session); anything else. Asked only when admission is shedding.
   */
  classify(facts: RequestFacts, table: RuntimeTable): RequestClass {
    const judged = judge(facts, table);
    if (judged.kind === 'reserved') return 'gatehouse';
    if (judged.kind === 'refused') return 'anonymous';
    if (!needsIdentity(judged.route.config.policy)) return 'public';
    return this.stages.recognise?.(facts.headers) === true ? 'session' : 'anonymous';
  }

  /**
   * The class of a forward-auth subrequest: it speaks for the ingress's original request, so it goes first when it
   * carries a session already in the cache (the traffic the application lives on), and is shed with the anonymous
   * ones otherwise. Without this every subrequest counted as Gatehouse's own endpoint, the first class shed.
   */
  classifySubrequest(facts: RequestFacts): RequestClass {
    return this.stages.recognise?.(facts.headers) === true ? 'session' : 'anonymous';
  }

  /**
   * Runs judge -> authenticate -> authorize -> mutate for one request on one snapshot, recording into `ctx`. Answers
   * synchronously when no stage had I/O to do (a cached session, cached statements: the signed-in user's request),
   * so that path costs no promise and no microtask turn; a promise otherwise. May throw (or reject) what a stage throws.
   */
  evaluate(facts: RequestFacts, table: RuntimeTable, ctx: RequestContext): Evaluation | Promise<Evaluation> {
    const judged = judge(facts, table);
    ctx.clientIp = judged.client.ip;
    if (judged.kind === 'refused') {
      ctx.route = judged.label;
      ctx.outcome = 'refused';
      return judged;
    }
    if (judged.kind === 'reserved') {
      ctx.route = '_gatehouse';
      return judged;
    }
    ctx.route = judged.route.name;
    const identity = needsIdentity(judged.route.config.policy) ? this.stages.authenticate(facts.headers) : undefined;
    return identity instanceof Promise
      ? identity.then((found) => this.#decide(facts, table, ctx, judged, found))
      : this.#decide(facts, table, ctx, judged, identity);
  }

  /** authorize -> mutate, once the caller is known. */
  #decide(facts: RequestFacts, table: RuntimeTable, ctx: RequestContext, judged: Judged, identity: Identity | undefined): Evaluation | Promise<Evaluation> {
    const { route, client, pathAndQuery, upgrade } = judged;
    if (identity !== undefined) ctx.userId = identity.userId;
    // `rd` after a sign-in: the judged path (and, for forward-auth, the protected host it was asked for).
    const decision = this.stages.authorize(route, identity, facts.origin === undefined ? pathAndQuery : facts.origin + pathAndQuery, facts.upgrade, upgrade);
    if (decision.kind !== 'allow') {
      ctx.outcome = decision.kind === 'unauthenticated' ? 'unauthenticated' : 'denied';
      ctx.reason = decision.reason;
      return { kind: 'decided', client, route, pathAndQuery, decision, headers: NONE, upgrade };
    }
    let stated: readonly Header[] | Promise<readonly Header[]>;
    try {
      stated = this.stages.mutate.assertions(decision.identity, table, ctx, route.config);
    } catch (err) {
      return unsigned(err, client, ctx);
    }
    if (stated instanceof Promise) {
      return stated.then((headers) => ({ kind: 'decided', client, route, pathAndQuery, decision, headers, upgrade }), (err: unknown) => unsigned(err, client, ctx));
    }
    return { kind: 'decided', client, route, pathAndQuery, decision, headers: stated, upgrade };
  }
}

/** A statement the route requires could not be made (no signing key): refused, never forwarded without it. */
function unsigned(err: unknown, client: ClientAddress, ctx: RequestContext): Evaluation {
  if (!isGatehouseError(err)) throw err;
  ctx.outcome = 'refused';
  ctx.reason = 'signing_unavailable';
  return { kind: 'refused', client, error: err };
}

/** What the judge concluded about a request for a route. */
type Judged = Extract<ReturnType<typeof judge>, { kind: 'route' }>;

const NONE: readonly Header[] = Object.freeze([]);
