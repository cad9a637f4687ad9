import { Agent, fetch as undiciFetch } from 'undici';
import type { Metrics } from '../../metrics/metrics.js';
import { SpanKind } from '@opentelemetry/api';

/** The endpoints a provider call is labelled with (bounded: never a raw URL). */
export type ProviderEndpoint = 'discovery' | 'jwks' | 'token' | 'userinfo' | 'user' | 'emails' | 'other';

/** Most bytes read from any provider response: metadata, JWKS, tokens and profiles are all small. */
export const PROVIDER_RESPONSE_MAX_BYTES = 1024 * 1024;

/** The fetch signature openid-client's `customFetch` and the GitHub provider both use. */
export type ProviderFetch = (url: string, init: {
  method: string; headers: Record<string, string>; body?: unknown; redirect?: 'manual'; signal?: AbortSignal;
}) => Promise<Response>;

/**
 * One undici Agent per provider, with every phase bounded by the provider's `timeout` (connect, response headers,
 * body silence) plus an overall AbortSignal per call, so a slow provider costs at most `timeout` per request.
 * Redirects are never followed (a token or userinfo endpoint that redirects is misconfigured or hostile).
 */
export class ProviderHttpClient {
  readonly #agent: Agent;
  readonly #timeoutMs: number;

  constructor(
    private readonly providerId: string,
    timeoutMs: number,
    private readonly metrics: Metrics,
    private readonly endpointOf: (url: string) => ProviderEndpoint,
  ) {
    this.#timeoutMs = timeoutMs;
    this.#agent = new Agent({
      connect: { timeout: timeoutMs },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      // A login burst should not open hundreds of sockets to one provider.
      connections: 32,
      keepAliveTimeout: 10_000,
    });
  }

  /** Fetch bound to this provider's agent and timeout, observed in gatehouse_oauth_provider_request_duration_seconds. */
  readonly fetch: ProviderFetch = async (url, init) => {
    const started = performance.now();
    const endpoint = this.endpointOf(url);
    const end = this.metrics.tracing.start(`oauth ${endpoint}`, {
      'gatehouse.oauth.provider': this.providerId, 'http.request.method': init.method, 'server.address': hostOf(url),
    }, SpanKind.CLIENT);
    const signal = init.signal === undefined ? AbortSignal.timeout(this.#timeoutMs)
      : AbortSignal.any([init.signal, AbortSignal.timeout(this.#timeoutMs)]);
    try {
      const response = await undiciFetch(url, {
        method: init.method, headers: init.headers, body: init.body as never, redirect: 'manual', signal, dispatcher: this.#agent,
      });
      // Read the whole body here, bounded, so the duration covers it and a huge answer cannot exhaust memory.
      const body = await readBounded(response.body, PROVIDER_RESPONSE_MAX_BYTES);
      end(undefined, { 'http.response.status_code': response.status });
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers as unknown as Headers });
    } catch (err) {
      end(err);
      throw err;
    } finally {
      this.metrics.oauthProviderDuration.observe({ provider: this.providerId, endpoint }, (performance.now() - started) / 1000);
    }
  };

  async close(): Promise<void> {
    await this.#agent.close().catch(() => undefined);
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

async function readBounded(body: AsyncIterable<Uint8Array> | null, max: number): Promise<Uint8Array | null> {
  if (body === null) return null;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > max) throw new RangeError(`provider response larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
