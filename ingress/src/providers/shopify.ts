// Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body>`; id and topic come in headers.
import { z } from 'zod';
import { type BodySignature, signBody, verifyBodySignature } from './body-signature.ts';
import { jsonSample } from './sample.ts';
import { defineProvider } from './types.ts';

const SIGNATURE: BodySignature = { header: 'x-shopify-hmac-sha256', label: 'X-Shopify-Hmac-Sha256', prefix: '', encoding: 'base64' };
const DEFAULT_TOPIC = 'orders/create';

export const shopify = defineProvider({
  name: 'shopify',
  options: () => z.object({}).strict(),
  json: true,
  verify: (request, keys) => verifyBodySignature(request, keys, SIGNATURE),
  describe(request) {
    return {
      deliveryId: request.headers.get('x-shopify-webhook-id') ?? undefined,
      eventType: request.headers.get('x-shopify-topic') ?? undefined,
    };
  },
  sign({ body, id, eventType }, secret) {
    return { ...signBody(body, secret, SIGNATURE), 'x-shopify-webhook-id': id, 'x-shopify-topic': eventType ?? DEFAULT_TOPIC };
  },
  sample(now, eventType = DEFAULT_TOPIC) {
    const id = Number(String(now) + String(Math.floor(Math.random() * 1000)));
    return jsonSample({ id, email: 'buyer@example.com', total_price: '19.90', currency: 'EUR' }, eventType);
  },
});
