// Standard Webhooks (Svix and others): `webhook-id`, `webhook-timestamp`, `webhook-signature` holding
// space-separated `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keys base64 behind `whsec_`. Svix's
// own `svix-*` header names are accepted as well. Asymmetric `v1a` signatures are not supported and ignored.
import { anyKeyMatches, decodeSignature, hmac, parseUnixSeconds, withinTolerance } from './crypto.ts';
import { textAt } from './fields.ts';
import { fail, OK, type Provider, type WebhookRequest } from './types.ts';

function header(request: WebhookRequest, name: 'id' | 'timestamp' | 'signature'): string | null {
  return request.headers.get(`webhook-${name}`) ?? request.headers.get(`svix-${name}`);
}

export function standardWebhooksKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

export const standardWebhooks: Provider<'standard-webhooks'> = {
  name: 'standard-webhooks',
  key: standardWebhooksKey,
  verify(request, keys, options, now) {
    const id = header(request, 'id');
    const signatureHeader = header(request, 'signature');
    if (!id) return fail('missing webhook-id header');
    if (!signatureHeader) return fail('missing webhook-signature header');
    const timestamp = parseUnixSeconds(header(request, 'timestamp'));
    if (timestamp === undefined) return fail('missing or malformed webhook-timestamp header');
    if (!withinTolerance(timestamp, now, options.toleranceSeconds)) return fail('timestamp outside the tolerance');
    const signatures: Buffer[] = [];
    for (const item of signatureHeader.split(' ')) {
      const [version, value] = item.split(',', 2);
      if (version !== 'v1' || value === undefined) continue;
      const signature = decodeSignature(value, 'base64');
      if (signature) signatures.push(signature);
    }
    if (signatures.length === 0) return fail('webhook-signature has no v1 signature');
    const matched = anyKeyMatches(keys, signatures, (key) => hmac('sha256', key, `${id}.${timestamp}.`, request.body));
    return matched ? OK : fail('signature mismatch');
  },
  describe(request, payload) {
    return { deliveryId: header(request, 'id') ?? undefined, eventType: textAt(payload(), 'type') };
  },
  sign({ body, now, id }, secret) {
    const signature = hmac('sha256', standardWebhooksKey(secret), `${id}.${now}.`, body).toString('base64');
    return { 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': `v1,${signature}` };
  },
};
