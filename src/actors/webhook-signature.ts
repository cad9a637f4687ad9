import { createHmac } from 'node:crypto';

/**
 * Webhook signatures in the Standard Webhooks shape (https://www.standardwebhooks.com, "Verifying webhook
 * authenticity"), which the `standardwebhooks` libraries verify in many languages:
 *   webhook-id: the delivery id, the same on every retry (the receiver's idempotency key)
 *   webhook-timestamp: unix seconds of this attempt
 *   webhook-signature: "v1," + base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>"))
 * where the key is the secret's part after `whsec_`, base64-decoded. Secrets made before Gatehouse used the
 * standard alphabet are base64url: Node decodes both the same; a receiver on a strict base64 decoder converts the
 * stored secret once (`-` to `+`, `_` to `/`, `=` padding), or rotates it.
 *
 * For one release the previous header stays beside it, so receivers written against it keep working while they
 * move: `X-Gatehouse-Signature: sha256=<hex HMAC-SHA256(secret as text, "<timestamp>.<body>")>` (deprecated).
 */
export function signatureHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  const timestamp = String(timestampSeconds);
  const v1 = createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  const legacy = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${v1}`,
    'x-gatehouse-timestamp': timestamp,
    'x-gatehouse-signature': `sha256=${legacy}`,
  };
}

/** The HMAC key of a `whsec_` secret: its base64 part decoded (either alphabet). */
export function signingKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}
