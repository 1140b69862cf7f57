// Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, HMAC-SHA256 of "<t>.<raw body>". Every v1 is
// tried (Stripe sends one per active secret while a secret is rolled); v0 and unknown schemes are ignored.
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import { textAt } from './fields.ts';
import { jsonSample, randomToken } from './sample.ts';
import { signatureHeader, signSignatureHeader, verifySignatureHeader } from './signature-header.ts';
import { defineProvider } from './types.ts';

/** What Stripe signs: `<t>.<raw body>`, hex in every `v1`. */
export const STRIPE_SIGNATURE = signatureHeader('Stripe-Signature', { separator: ',', signature: 'v1', timestamp: 't' });

export const stripe = defineProvider({
  name: 'stripe',
  options: () => z.object({ toleranceSeconds: toleranceSeconds.default(300) }).strict(),
  json: true,
  verify: (request, keys, options, now) => verifySignatureHeader(request, keys, STRIPE_SIGNATURE, now, options.toleranceSeconds),
  describe(_request, payload) {
    return { deliveryId: textAt(payload(), 'id'), eventType: textAt(payload(), 'type') };
  },
  sign: ({ body, now }, secret) => signSignatureHeader(body, secret, STRIPE_SIGNATURE, now),
  sample(now, eventType = 'payment_intent.succeeded') {
    const status = eventType.endsWith('succeeded') ? 'succeeded' : eventType.endsWith('failed') ? 'requires_payment_method' : 'processing';
    return jsonSample({
      id: `evt_${randomToken(24)}`,
      object: 'event',
      api_version: '2025-09-30.clover',
      created: now,
      type: eventType,
      livemode: false,
      data: { object: { id: `pi_${randomToken(24)}`, object: 'payment_intent', amount: 2000, currency: 'usd', status, created: now } },
    });
  },
});
