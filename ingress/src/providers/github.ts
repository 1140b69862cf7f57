// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`; the delivery GUID and event name come
// in headers, so the body is never parsed here.
import { anyKeyMatches, decodeSignature, hmac } from './crypto.ts';
import { fail, OK, type Provider, type Verdict, type WebhookRequest } from './types.ts';

/** Shared with Meta, which signs its POSTs the same way. */
export function verifyHubSignature(request: WebhookRequest, keys: readonly Buffer[]): Verdict {
  const header = request.headers.get('x-hub-signature-256');
  if (!header) return fail('missing X-Hub-Signature-256 header');
  if (!header.startsWith('sha256=')) return fail('X-Hub-Signature-256 is not a sha256 signature');
  const signature = decodeSignature(header.slice('sha256='.length), 'hex');
  if (!signature) return fail('X-Hub-Signature-256 is not hex');
  return anyKeyMatches(keys, [signature], (key) => hmac('sha256', key, request.body)) ? OK : fail('signature mismatch');
}

export function hubSignature(body: Buffer, secret: string): Record<string, string> {
  return { 'x-hub-signature-256': `sha256=${hmac('sha256', secret, body).toString('hex')}` };
}

export const github: Provider<'github'> = {
  name: 'github',
  verify: (request, keys) => verifyHubSignature(request, keys),
  describe(request) {
    return {
      deliveryId: request.headers.get('x-github-delivery') ?? undefined,
      eventType: request.headers.get('x-github-event') ?? undefined,
    };
  },
  sign({ body, id, eventType }, secret) {
    return { ...hubSignature(body, secret), 'x-github-delivery': id, 'x-github-event': eventType ?? 'push' };
  },
};
