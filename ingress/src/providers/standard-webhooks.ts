// Standard Webhooks (Svix and others): `webhook-id`, `webhook-timestamp`, `webhook-signature` holding
// space-separated `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keys base64 behind `whsec_`. Svix's
// own `svix-*` header names are accepted as well. Asymmetric `v1a` signatures are not supported and ignored.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import { anyKeyMatches, decodeSignature, hmac, parseUnixSeconds, withinTolerance } from './crypto.ts';
import { textAt } from './fields.ts';
import { jsonSample, randomToken } from './sample.ts';
import { defineProvider, fail, OK, type WebhookRequest } from './types.ts';

function header(request: WebhookRequest, name: 'id' | 'timestamp' | 'signature'): string | null {
  return request.headers.get(`webhook-${name}`) ?? request.headers.get(`svix-${name}`);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The key is the base64 after `whsec_`. Anything else gives an empty key, which the sources schema refuses: Node's
 * decoder skips characters that are not base64, so `whsec_` alone or `whsec_!!!` would otherwise be a key of zero
 * bytes, under which anyone can compute every signature.
 */
export function standardWebhooksKey(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  return BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
}

/** What is signed, for verify and sign alike. */
const signedContent = (id: string, timestamp: number, body: Buffer) => [`${id}.${timestamp}.`, body];

export const standardWebhooks = defineProvider({
  name: 'standard-webhooks',
  options: () => z.object({ toleranceSeconds: toleranceSeconds.default(300) }).strict(),
  json: true,
  key: standardWebhooksKey,
  keyFormat: 'a Standard Webhooks secret is "whsec_" followed by base64',
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
    const content = signedContent(id, timestamp, request.body);
    return anyKeyMatches(keys, signatures, (key) => hmac('sha256', key, ...content)) ? OK : fail('signature mismatch');
  },
  describe(request, payload) {
    return { deliveryId: header(request, 'id') ?? undefined, eventType: textAt(payload(), 'type') };
  },
  sign({ body, now, id }, secret) {
    const signature = hmac('sha256', standardWebhooksKey(secret), ...signedContent(id, now, body)).toString('base64');
    return { 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': `v1,${signature}` };
  },
  sample(now, eventType = 'invoice.paid') {
    const timestamp = new Date(now * 1000).toISOString();
    return { ...jsonSample({ type: eventType, timestamp, data: { id: `inv_${randomToken()}`, amount: 4200 } }), id: `msg_${randomUUID()}` };
  },
});
