// Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, HMAC-SHA256 of "<t>.<raw body>". Every v1 is
// tried (Stripe sends one per active secret while a secret is rolled); v0 and unknown schemes are ignored.
import { anyKeyMatches, decodeSignature, hmac, parseUnixSeconds, withinTolerance } from './crypto.ts';
import { textAt } from './fields.ts';
import { fail, OK, type Provider } from './types.ts';

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

export const stripe: Provider<'stripe'> = {
  name: 'stripe',
  verify(request, keys, options, now) {
    const header = request.headers.get('stripe-signature');
    if (!header) return fail('missing Stripe-Signature header');
    const { timestamp, signatures } = parseStripeHeader(header);
    if (timestamp === undefined) return fail('Stripe-Signature has no timestamp');
    if (signatures.length === 0) return fail('Stripe-Signature has no v1 signature');
    if (!withinTolerance(timestamp, now, options.toleranceSeconds)) return fail('timestamp outside the tolerance');
    const matched = anyKeyMatches(keys, signatures, (key) => hmac('sha256', key, `${timestamp}.`, request.body));
    return matched ? OK : fail('signature mismatch');
  },
  describe(_request, payload) {
    return { deliveryId: textAt(payload(), 'id'), eventType: textAt(payload(), 'type') };
  },
  sign({ body, now }, secret) {
    const signature = hmac('sha256', secret, `${now}.`, body).toString('hex');
    return { 'stripe-signature': `t=${now},v1=${signature}` };
  },
};
