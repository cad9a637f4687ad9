import type { Span } from '@opentelemetry/api';

/**
 * The request as the stages see it: what the client sent, not how it arrived. The HTTP and Upgrade transports fill
 * it from an IncomingMessage; a forward-auth transport fills it from the headers that describe an original request
 * (X-Forwarded-Method, -Proto, -Host, -Uri), so the same stages judge both.
 */
export interface RequestFacts {
  readonly method: string;
  /** The request-target as sent: origin-form (`/a?b`) or absolute-form (`http://host/a?b`). */
  readonly target: string;
  /** The Host the request names. */
  readonly host: string | undefined;
  /** The peer's address (the socket's remote address); believed as the client unless it is a trusted proxy. */
  readonly peer: string | undefined;
  /** Whether the peer connected over TLS (the scheme stated upstream when no trusted proxy says otherwise). */
  readonly encrypted: boolean;
  /** The headers the stages read: X-Forwarded-* (client address), Authorization and Cookie (credentials), framing. */
  readonly headers: CredentialHeaders & ForwardingHeaders & UpgradeHeaders;
  /** The header block as received (names and values alternating), when the transport has it: repeats are judged. */
  readonly rawHeaders?: readonly string[];
  /** Whether this is an Upgrade (WebSocket) handshake. */
  readonly upgrade: boolean;
  /**
   * Forward-auth only: the original request's `scheme://host`, so a sign-in returns to an absolute URL on the
   * protected host (`rd` is otherwise the judged path on this site).
   */
  readonly origin?: string;
}

/** What the judge reads of an Upgrade request: the protocols offered, and whether a body follows. */
export interface UpgradeHeaders {
  readonly upgrade?: string | undefined;
  readonly 'content-length'?: string | undefined;
  readonly 'transfer-encoding'?: string | undefined;
}

/** The headers authenticators read; an IncomingMessage's `headers` is one. */
export interface CredentialHeaders {
  readonly authorization?: string | undefined;
  readonly cookie?: string | undefined;
}

/** The forwarding headers the client-address judgement reads (believed only from trusted proxies). */
export interface ForwardingHeaders {
  readonly 'x-forwarded-for'?: string | string[] | undefined;
  readonly 'x-forwarded-proto'?: string | string[] | undefined;
  readonly 'x-forwarded-host'?: string | string[] | undefined;
  readonly host?: string | undefined;
}

/** How a request ended, for metrics, the access log and traces. */
export type Outcome =
  | 'pending' | 'shed' | 'refused' | 'endpoint' | 'unauthenticated' | 'denied' | 'forwarded' | 'authorized' | 'upstream_failed'
  | 'client_gone' | 'error';

/**
 * One request's record, created by its transport before any stage runs and read by every observer when it ends
 * (the metrics, the access log, traces). Stages write what they learn into it. Fields are plain values or references
 * to strings the request already holds, so filling them allocates nothing.
 */
export class RequestContext {
  /** performance.now() when the transport took the request. */
  readonly startedAt: number;
  readonly method: string;
  /** The request-target as sent (path and query; the access log redacts credentials in the query). */
  target = '';
  /** The Host header as sent. */
  host: string | undefined = undefined;
  /** The User-Agent header as sent. */
  userAgent: string | undefined = undefined;
  /** The socket's remote address, until the judge has worked out the client's. */
  peer: string | undefined = undefined;
  /** The client's address as judged through the trusted proxies. */
  clientIp: string | undefined = undefined;
  /** Milliseconds from the forward's start to the end of the upstream's answer (or its failure); -1: not forwarded. */
  upstreamMs = -1;
  /** Bytes read from and written to the client's connection for this request, headers included (set at the end). */
  bytesIn = 0;
  bytesOut = 0;
  /** The W3C trace id of the request's span, when tracing is on. */
  traceId: string | undefined = undefined;
  /** The request's server span, when tracing is on (ended by the tracing observer, src/pipeline/request-tracing.ts). */
  span: Span | undefined = undefined;
  /** Whether the peer is a trusted proxy; worked out only when tracing is on (it decides traceparent and tracestate). */
  peerTrusted = false;
  /** The route's name, or a bounded label for requests that matched none (`_none`, `_invalid`, `_gatehouse`). */
  route = '_none';
  /** The caller's user id, once authenticated. */
  userId: string | undefined = undefined;
  outcome: Outcome = 'pending';
  /** Why the request ended as it did (a decision's reason, a shed reason, an upstream failure). */
  reason: string | undefined = undefined;
  /** The status answered (101 for a relayed upgrade). */
  status = 0;
  readonly #ids: RequestIds;
  readonly #seq: number;
  #id: string | undefined;

  constructor(ids: RequestIds, method: string | undefined, startedAt = performance.now()) {
    this.#ids = ids;
    this.#seq = ids.next();
    this.method = method ?? 'GET';
    this.startedAt = startedAt;
  }

  /** A request id unique within this process's run (or the one a trusted proxy sent); formatted when first read. */
  get id(): string {
    return (this.#id ??= this.#ids.format(this.#seq));
  }

  /**
   * Takes the X-Request-Id a client sent when the peer is a trusted proxy and the value has the shape of an id
   * (REQUEST_ID_SHAPE); otherwise the generated id stays. A client cannot choose the id its requests are logged
   * under, so it cannot make its lines look like another's.
   */
  adoptRequestId(incoming: string | string[] | undefined, peerTrusted: boolean): void {
    if (peerTrusted && typeof incoming === 'string' && REQUEST_ID_SHAPE.test(incoming)) this.#id = incoming;
  }
}

/** An incoming request id Gatehouse accepts: 1-128 characters of letters, digits and `.`, `_`, `:`, `+`, `/`, `=`, `-`. */
export const REQUEST_ID_SHAPE = /^[A-Za-z0-9._:+/=-]{1,128}$/;

/** Gives out request ids: a per-instance random prefix and a counter (no per-request randomness on the hot path). */
export class RequestIds {
  readonly #prefix: string;
  #n = 0;

  constructor(prefix: string = Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0')) {
    this.#prefix = prefix;
  }

  /** The next sequence number. */
  next(): number {
    return ++this.#n;
  }

  /** The id of sequence number `seq`. */
  format(seq: number): string {
    return `${this.#prefix}-${seq.toString(36)}`;
  }
}

/** Reads a request's record when it ends (metrics, access log, tracing). Must not throw and must not wait. */
export type RequestObserver = (ctx: RequestContext) => void;
