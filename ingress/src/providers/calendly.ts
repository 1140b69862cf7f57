// Calendly: `Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` under the subscription's
// signing key; Calendly's guide refuses a `t` older than 3 minutes, the default tolerance here. The event type is the
// body's `event`.
// https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures
// https://developer.calendly.com/api-docs/overview/webhooks/webhook-payloads
//
// Calendly sends no delivery id. The one here is the event, the resource it is about (`payload.uri`) and the time
// Calendly created the event (`created_at`): a retry carries the same body, so the same id, while two different events
// never share all three. Without them the ingress gives the delivery a fresh id, as for any provider without one.
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import { textAt } from './fields.ts';
import { jsonSample, randomToken } from './sample.ts';
import { signatureHeader, signSignatureHeader, verifySignatureHeader } from './signature-header.ts';
import { defineProvider } from './types.ts';

const SIGNATURE = signatureHeader('Calendly-Webhook-Signature', { separator: ',', signature: 'v1', timestamp: 't' });

const calendlyId = () => randomToken(16).toUpperCase();

export const calendly = defineProvider({
  name: 'calendly',
  options: () => z.object({ toleranceSeconds: toleranceSeconds.default(180) }).strict(),
  json: true,
  verify: (request, keys, options, now) => verifySignatureHeader(request, keys, SIGNATURE, now, options.toleranceSeconds),
  describe(_request, payload) {
    const body = payload();
    const [event, uri, createdAt] = [textAt(body, 'event'), textAt(body, 'payload', 'uri'), textAt(body, 'created_at')];
    return { deliveryId: event && uri && createdAt ? `${event} ${uri} ${createdAt}` : undefined, eventType: event };
  },
  sign: ({ body, now }, secret) => signSignatureHeader(body, secret, SIGNATURE, now),
  sample(now, eventType = 'invitee.created') {
    const scheduledEvent = `https://api.calendly.com/scheduled_events/${calendlyId()}`;
    const status = eventType === 'invitee.canceled' ? 'canceled' : 'active';
    return jsonSample(
      {
        event: eventType,
        created_at: new Date(now * 1000).toISOString(),
        created_by: 'https://api.calendly.com/users/AAAAAAAAAAAAAAAA',
        payload: {
          uri: `${scheduledEvent}/invitees/${calendlyId()}`,
          email: 'invitee@example.com',
          name: 'Octavia Chen',
          status,
          timezone: 'Europe/Paris',
          event: scheduledEvent,
        },
      },
      eventType,
    );
  },
});
