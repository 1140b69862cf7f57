// Square: `x-square-hmacsha256-signature` = base64 HMAC-SHA256(the subscription's signature key, notification URL +
// raw body). The notification URL is the one set for the subscription in Square's Developer Console, so the source
// needs its public URL (`urlSigning`, as Twilio): HOOKPIPE_PUBLIC_URL + /webhooks/<name>, or `publicUrl`.
// https://developer.squareup.com/docs/webhooks/step3validate
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type BodySignature, type SignedContent, signHeader, verifyHeaderSignature } from './body-signature.ts';
import { textAt } from './fields.ts';
import { jsonSample, randomToken } from './sample.ts';
import { defineProvider } from './types.ts';

const SIGNATURE: BodySignature = {
  header: 'x-square-hmacsha256-signature',
  label: 'x-square-hmacsha256-signature',
  prefix: '',
  encoding: 'base64',
};

/** What Square signs, for verify and sign alike: the notification URL, then the body. */
const signedContent = (url: URL, body: Buffer): SignedContent => [url.toString(), body];

export const square = defineProvider({
  name: 'square',
  // The notification URL given to Square, when it differs from HOOKPIPE_PUBLIC_URL + /webhooks/<name>.
  options: () => z.object({ publicUrl: z.url().optional() }).strict(),
  json: true,
  urlSigning: (options) => ({ publicUrl: options.publicUrl }),
  verify: (request, keys) => verifyHeaderSignature(request, keys, SIGNATURE, signedContent(request.url, request.body)),
  describe(_request, payload) {
    return { deliveryId: textAt(payload(), 'event_id'), eventType: textAt(payload(), 'type') };
  },
  sign: ({ body, url }, secret) => signHeader(secret, SIGNATURE, signedContent(url, body)),
  sample(now, eventType = 'payment.updated') {
    const at = new Date(now * 1000).toISOString();
    const amount_money = { amount: 2500, currency: 'USD' };
    const payment = { id: randomToken(29), amount_money, status: 'COMPLETED', created_at: at, updated_at: at };
    return jsonSample({
      merchant_id: 'MLEFBHHSJGVHD',
      type: eventType,
      event_id: randomUUID(),
      created_at: at,
      data: { type: 'payment', id: payment.id, object: { payment } },
    });
  },
});
