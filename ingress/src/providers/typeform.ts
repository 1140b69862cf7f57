// Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>` under the webhook's secret; the event's
// id and type are in the body (`event_id`, `event_type`). No timestamp is signed: a retry is told apart by its id.
// https://www.typeform.com/developers/webhooks/secure-your-webhooks/
// https://www.typeform.com/developers/webhooks/example-payload/
import { z } from 'zod';
import { type BodySignature, signBody, verifyBodySignature } from './body-signature.ts';
import { textAt } from './fields.ts';
import { jsonSample, randomToken } from './sample.ts';
import { defineProvider } from './types.ts';

const SIGNATURE: BodySignature = { header: 'typeform-signature', label: 'Typeform-Signature', prefix: 'sha256=', encoding: 'base64' };

export const typeform = defineProvider({
  name: 'typeform',
  options: () => z.object({}).strict(),
  json: true,
  verify: (request, keys) => verifyBodySignature(request, keys, SIGNATURE),
  describe: (_request, payload) => ({ deliveryId: textAt(payload(), 'event_id'), eventType: textAt(payload(), 'event_type') }),
  sign: ({ body }, secret) => signBody(body, secret, SIGNATURE),
  sample(now, eventType = 'form_response') {
    const submittedAt = new Date(now * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const field = { id: 'Lf3XeBm9Q2cP', type: 'short_text', ref: 'name' };
    return jsonSample(
      {
        event_id: randomToken(26).toUpperCase(),
        event_type: eventType,
        form_response: {
          form_id: 'lT4Z3j',
          token: randomToken(32).toLowerCase(),
          submitted_at: submittedAt,
          definition: { id: 'lT4Z3j', title: 'Demo request', fields: [{ ...field, title: 'What is your name?' }] },
          answers: [{ type: 'text', text: 'Octavia Chen', field }],
        },
      },
      eventType,
    );
  },
});
