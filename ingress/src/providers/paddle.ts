// Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=<hex>...]`, each h1 a hex HMAC-SHA256 of "<ts>:<raw body>"
// under the notification destination's secret key (`pdl_ntfset_...`, used as is); any h1 matching is enough. The
// event's id and type are in the body (`event_id`, `event_type`).
// https://developer.paddle.com/webhooks/signature-verification
//
// Paddle's SDKs allow 5 s after `ts` (and nothing before it). That leaves no room for clock skew between Paddle and the
// instance or for a slow upload, and a refused delivery costs a retry; the ledger already drops a replayed event_id,
// so the tolerance here is 30 s either way by default, an option for whoever wants Paddle's 5.
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import { textAt } from './fields.ts';
import { jsonSample, randomToken } from './sample.ts';
import { signatureHeader, signSignatureHeader, verifySignatureHeader } from './signature-header.ts';
import { defineProvider } from './types.ts';

const SIGNATURE = signatureHeader('Paddle-Signature', { separator: ';', signature: 'h1', timestamp: 'ts', joiner: ':' });

/** Paddle's ids: a prefix and 26 lower-case letters and digits. */
const paddleId = (prefix: string) => `${prefix}_01${randomToken(24).toLowerCase()}`;

export const paddle = defineProvider({
  name: 'paddle',
  options: () => z.object({ toleranceSeconds: toleranceSeconds.default(30) }).strict(),
  json: true,
  verify: (request, keys, options, now) => verifySignatureHeader(request, keys, SIGNATURE, now, options.toleranceSeconds),
  describe: (_request, payload) => ({ deliveryId: textAt(payload(), 'event_id'), eventType: textAt(payload(), 'event_type') }),
  sign: ({ body, now }, secret) => signSignatureHeader(body, secret, SIGNATURE, now),
  sample(now, eventType = 'transaction.completed') {
    const occurredAt = new Date(now * 1000).toISOString();
    const transaction = { id: paddleId('txn'), status: 'completed', customer_id: paddleId('ctm'), currency_code: 'USD', origin: 'web' };
    const totals = { subtotal: '2000', tax: '400', total: '2400' };
    return jsonSample(
      {
        event_id: paddleId('evt'),
        event_type: eventType,
        occurred_at: occurredAt,
        notification_id: paddleId('ntf'),
        data: { ...transaction, details: { totals }, created_at: occurredAt },
      },
      eventType,
    );
  },
});
