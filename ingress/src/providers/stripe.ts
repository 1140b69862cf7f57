// Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, HMAC-SHA256 of "<t>.<raw body>". Every v1 is
// tried (Stripe sends one per active secret while a secret is rolled); v0 and unknown schemes are ignored.
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import { anyKeyMatches, decodeSignature, hmac, parseUnixSeconds, withinTolerance } from './crypto.ts';
import { textAt } from './fields.ts';
import { jsonSample, randomToken } from './sample.ts';
import { defineProvider, fail, OK } from './types.ts';

export function parseStripeHeader(header: string): { timestamp: number | undefined; signatures: Buffer[] } {
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') timestamp = parseUnixSeconds(value);
    else if (key === 'v1') {
      const signature = decodeSignature(value, 'hex');
      if (signature) signatures.push(signature);
    }
  }
  return { timestamp, signatures };
}

/** What Stripe signs, for verify and sign alike. */
const signedContent = (timestamp: number, body: Buffer) => [`${timestamp}.`, body];

export const stripe = defineProvider({
  name: 'stripe',
  options: () => z.object({ toleranceSeconds: toleranceSeconds.default(300) }).strict(),
  json: true,
  verify(request, keys, options, now) {
    const header = request.headers.get('stripe-signature');
    if (!header) return fail('missing Stripe-Signature header');
    const { timestamp, signatures } = parseStripeHeader(header);
    if (timestamp === undefined) return fail('Stripe-Signature has no timestamp');
    if (signatures.length === 0) return fail('Stripe-Signature has no v1 signature');
    if (!withinTolerance(timestamp, now, options.toleranceSeconds)) return fail('timestamp outside the tolerance');
    const content = signedContent(timestamp, request.body);
    return anyKeyMatches(keys, signatures, (key) => hmac('sha256', key, ...content)) ? OK : fail('signature mismatch');
  },
  describe(_request, payload) {
    return { deliveryId: textAt(payload(), 'id'), eventType: textAt(payload(), 'type') };
  },
  sign({ body, now }, secret) {
    return { 'stripe-signature': `t=${now},v1=${hmac('sha256', secret, ...signedContent(now, body)).toString('hex')}` };
  },
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
