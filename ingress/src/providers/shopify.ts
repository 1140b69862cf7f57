// Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body>`; id and topic come in headers.
import { anyKeyMatches, decodeSignature, hmac } from './crypto.ts';
import { fail, OK, type Provider } from './types.ts';

export const shopify: Provider<'shopify'> = {
  name: 'shopify',
  verify(request, keys) {
    const header = request.headers.get('x-shopify-hmac-sha256');
    if (!header) return fail('missing X-Shopify-Hmac-Sha256 header');
    const signature = decodeSignature(header, 'base64');
    if (!signature) return fail('X-Shopify-Hmac-Sha256 is not base64');
    return anyKeyMatches(keys, [signature], (key) => hmac('sha256', key, request.body)) ? OK : fail('signature mismatch');
  },
  describe(request) {
    return {
      deliveryId: request.headers.get('x-shopify-webhook-id') ?? undefined,
      eventType: request.headers.get('x-shopify-topic') ?? undefined,
    };
  },
  sign({ body, id, eventType }, secret) {
    return {
      'x-shopify-hmac-sha256': hmac('sha256', secret, body).toString('base64'),
      'x-shopify-webhook-id': id,
      'x-shopify-topic': eventType ?? 'orders/create',
    };
  },
};
