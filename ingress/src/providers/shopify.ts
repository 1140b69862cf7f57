// Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body>`; id and topic come in headers.
import { signBody, verifyBodySignature, type BodySignature } from './body-signature.ts';
import type { Provider } from './types.ts';

const SIGNATURE: BodySignature = { header: 'x-shopify-hmac-sha256', label: 'X-Shopify-Hmac-Sha256', prefix: '', encoding: 'base64' };

export const shopify: Provider<'shopify'> = {
  name: 'shopify',
  verify: (request, keys) => verifyBodySignature(request, keys, SIGNATURE),
  describe(request) {
    return {
      deliveryId: request.headers.get('x-shopify-webhook-id') ?? undefined,
      eventType: request.headers.get('x-shopify-topic') ?? undefined,
    };
  },
  sign({ body, id, eventType }, secret) {
    return {
      ...signBody(body, secret, SIGNATURE),
      'x-shopify-webhook-id': id,
      'x-shopify-topic': eventType ?? 'orders/create',
    };
  },
};
