// SendGrid (Twilio SendGrid) Event Webhook, signed: `X-Twilio-Email-Event-Webhook-Signature` holds a base64 DER
// ECDSA P-256 / SHA-256 signature of `<X-Twilio-Email-Event-Webhook-Timestamp><raw body>`, by the key pair SendGrid
// makes when signing is turned on; the source lists the "verification key" SendGrid shows (base64 of the DER public
// key) under `publicKeys`. The body is a JSON array of events, each with its own `sg_event_id`.
// https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features
// https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event
// SendGrid documents no timestamp tolerance; 300 s here, as for the others (`toleranceSeconds`).
import { contentId } from './crypto.ts';
import { presetScheme, toleranceOptions } from './public-key.ts';
import { jsonSample, randomToken } from './sample.ts';
import { defineProvider } from './types.ts';

const SCHEME = presetScheme({
  algorithm: 'ecdsa-p256-sha256',
  ecdsaFormat: 'der',
  header: 'x-twilio-email-event-webhook-signature',
  encoding: 'base64',
  prefix: '',
  timestampHeader: 'x-twilio-email-event-webhook-timestamp',
  timestampUnit: 's',
  signedContent: '{timestamp}{body}',
});

/**
 * The delivery id of a batch. SendGrid posts several events at once and redelivers batches often (its docs ask for
 * deduplication by `sg_event_id`): one event is its `sg_event_id`; several, a hash of their ids, sorted, so the same
 * batch again is a duplicate while any other grouping is new. A batch with an event without an id gets none (the
 * ingress makes one): two batches differing only there must not be taken for one.
 */
export function batchId(payload: unknown): string | undefined {
  if (!Array.isArray(payload) || payload.length === 0) return undefined;
  const ids = payload.map((event: unknown) => (event as { sg_event_id?: unknown } | null)?.sg_event_id);
  if (!ids.every((id): id is string => typeof id === 'string' && id !== '')) return undefined;
  return ids.length === 1 ? ids[0] : `sg-batch-${contentId([...ids].sort().join('\n'))}`;
}

export const sendgrid = defineProvider({
  name: 'sendgrid',
  options: toleranceOptions(300),
  json: true,
  ...SCHEME,
  // The type is the same for every batch: which events share a POST is SendGrid's choice, so routing by the first
  // event's type would send a bounce to a handler of deliveries whenever they happen to arrive together. A source can
  // still say `eventType: { pointer: /0/event }`.
  describe: (_request, payload) => ({ deliveryId: batchId(payload()), eventType: 'batch' }),
  sample(now, eventType = 'delivered') {
    const message = `${randomToken(22)}.filterdrecv-${randomToken(8)}-1-${randomToken(8)}-1.0`;
    const event = (type: string, seconds: number) => ({
      email: 'someone@example.com',
      timestamp: seconds,
      'smtp-id': `<${randomToken(14)}@example.com>`,
      event: type,
      sg_event_id: randomToken(22),
      sg_message_id: message,
    });
    return jsonSample([event('processed', now - 2), event(eventType, now)]);
  },
});
