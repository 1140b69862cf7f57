// PagerDuty v3 webhooks: `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]`, each a hex HMAC-SHA256 of the raw body
// under one of the subscription's secrets (several during a rotation); any one matching is enough. The event's id and
// type are in the body (`event.id`, `event.event_type`), `pagey.ping` included: a test event, published like others.
// No timestamp is signed: a retry is told apart by its id.
// https://developer.pagerduty.com/docs/webhooks/webhook-signatures/ and https://developer.pagerduty.com/docs/webhooks/v3-overview/
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { textAt } from './fields.ts';
import { jsonSample, randomToken } from './sample.ts';
import { signatureHeader, signSignatureHeader, verifySignatureHeader } from './signature-header.ts';
import { defineProvider } from './types.ts';

const SIGNATURE = signatureHeader('X-PagerDuty-Signature', { separator: ',', signature: 'v1' });

export const pagerduty = defineProvider({
  name: 'pagerduty',
  options: () => z.object({}).strict(),
  json: true,
  verify: (request, keys) => verifySignatureHeader(request, keys, SIGNATURE),
  describe: (_request, payload) => ({ deliveryId: textAt(payload(), 'event', 'id'), eventType: textAt(payload(), 'event', 'event_type') }),
  sign: ({ body, now }, secret) => signSignatureHeader(body, secret, SIGNATURE, now),
  sample(now, eventType = 'incident.triggered') {
    const incident = `Q${randomToken(13).toUpperCase()}`;
    const service = { id: 'PF9KMXH', type: 'service_reference', summary: 'API Service' };
    return jsonSample(
      {
        event: {
          id: randomUUID(),
          event_type: eventType,
          resource_type: 'incident',
          occurred_at: new Date(now * 1000).toISOString(),
          agent: null,
          client: null,
          data: { id: incident, type: 'incident', status: 'triggered', title: 'A little bump in the road', urgency: 'high', service },
        },
      },
      eventType,
    );
  },
});
