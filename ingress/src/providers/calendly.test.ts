// Calendly has no Node library that verifies webhooks: the suite signs with the documented scheme, written here
// independently of calendly.ts, `Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, with the
// 3-minute tolerance of Calendly's guide: https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures.
// No published example signature was found.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { timestampedHeader, verifierSuite } from '../../../test/support/verifier-suite.ts';
import { webhookRequest } from '../../../test/support/webhook-request.ts';
import { calendly } from './calendly.ts';

const event = {
  event: 'invitee.created',
  created_at: '2025-11-13T02:13:20.000000Z',
  payload: { uri: 'https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAAAAAAAAAAAAAA', status: 'active' },
};
const body = Buffer.from(JSON.stringify(event));

verifierSuite({
  provider: calendly,
  secrets: ['calendly-current', 'calendly-next'],
  body,
  signer: 'the documented scheme',
  ...timestampedHeader('calendly-webhook-signature', 180, (payload, secret, now) => {
    return `t=${now},v1=${createHmac('sha256', secret).update(`${now}.`).update(payload).digest('hex')}`;
  }),
});

test('calendly: the type is `event`; the delivery id is made of the event, its resource and its creation time', () => {
  const request = webhookRequest({}, body);
  const described = calendly.describe(request, () => event);
  assert.equal(described.eventType, 'invitee.created');
  assert.equal(described.deliveryId, `invitee.created ${event.payload.uri} ${event.created_at}`);
  const canceled = { ...event, event: 'invitee.canceled' };
  assert.notEqual(calendly.describe(request, () => canceled).deliveryId, described.deliveryId, 'another event about the same invitee');
  const bare = calendly.describe(request, () => ({ event: 'invitee.created' }));
  assert.equal(bare.deliveryId, undefined, 'no resource: the ingress gives an id');
});
