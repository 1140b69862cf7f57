// Linear: `Linear-Signature` = hex HMAC-SHA256(the webhook's signing secret, raw body). The signed time is inside the
// body, `webhookTimestamp` (unix milliseconds), and must be within a minute of now either way, as Linear's own client
// checks (`LinearWebhookClient.verify` in @linear/sdk). `Linear-Delivery` is the delivery id; the type is the body's
// `type` and `action` (`Issue.create`).
// https://linear.app/developers/webhooks
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import { type BodySignature, signBody, verifyBodySignature } from './body-signature.ts';
import { checkTimestamp } from './crypto.ts';
import { asObject, parseJsonBody, textAt } from './fields.ts';
import { jsonSample, randomToken } from './sample.ts';
import { defineProvider } from './types.ts';

const SIGNATURE: BodySignature = { header: 'linear-signature', label: 'Linear-Signature', prefix: '', encoding: 'hex' };
const DELIVERY = 'linear-delivery';

/** `webhookTimestamp` as unix seconds; read only from a body whose signature held. */
function signedSeconds(body: Buffer): number | undefined {
  const millis = asObject(parseJsonBody(body))?.webhookTimestamp;
  return typeof millis === 'number' && Number.isSafeInteger(millis) ? Math.floor(millis / 1000) : undefined;
}

export const linear = defineProvider({
  name: 'linear',
  options: () => z.object({ toleranceSeconds: toleranceSeconds.default(60) }).strict(),
  json: true,
  verify(request, keys, options, now) {
    const signed = verifyBodySignature(request, keys, SIGNATURE);
    if (!signed.ok) return signed;
    return checkTimestamp(signedSeconds(request.body), now, options.toleranceSeconds, 'webhookTimestamp in the body');
  },
  describe(request, payload) {
    const type = textAt(payload(), 'type');
    const action = textAt(payload(), 'action');
    return { deliveryId: request.headers.get(DELIVERY) ?? undefined, eventType: type && action ? `${type}.${action}` : type };
  },
  // The signed time is the body's own: `hookpipe send` (a --resend, a --file) stamps it afresh, as Linear does.
  seal({ body, now }) {
    const payload = asObject(parseJsonBody(body));
    return payload ? Buffer.from(JSON.stringify({ ...payload, webhookTimestamp: now * 1000 })) : body;
  },
  sign: ({ body, id }, secret) => ({ ...signBody(body, secret, SIGNATURE), [DELIVERY]: id }),
  sample(now, eventType = 'Issue.create') {
    const [type = 'Issue', action = 'create'] = eventType.split('.');
    const identifier = `ENG-${now % 1000}`;
    const data = { id: randomUUID(), identifier, title: 'Flux capacitor overheats', priority: 2, teamId: randomUUID() };
    return {
      ...jsonSample({
        action,
        type,
        createdAt: new Date(now * 1000).toISOString(),
        organizationId: randomUUID(),
        url: `https://linear.app/acme/issue/${identifier}/${randomToken(8).toLowerCase()}`,
        webhookTimestamp: now * 1000,
        webhookId: randomUUID(),
        data,
      }),
      id: randomUUID(),
    };
  },
});
