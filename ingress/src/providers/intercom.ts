// Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1(the app's client secret, raw body)>`; the notification's own `id`
// (a retry keeps it, with `delivery_attempts` raised) and `topic` (`ping` when the subscription is set up).
// https://developers.intercom.com/intercom-api-reference/v1.0/reference/signed-notifications
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type BodySignature, signBody, verifyBodySignature } from './body-signature.ts';
import { textAt } from './fields.ts';
import { jsonSample } from './sample.ts';
import { defineProvider } from './types.ts';

const SIGNATURE: BodySignature = {
  header: 'x-hub-signature',
  label: 'X-Hub-Signature',
  prefix: 'sha1=',
  encoding: 'hex',
  algorithm: 'sha1',
};

export const intercom = defineProvider({
  name: 'intercom',
  options: () => z.object({}).strict(),
  json: true,
  verify: (request, keys) => verifyBodySignature(request, keys, SIGNATURE),
  describe(_request, payload) {
    return { deliveryId: textAt(payload(), 'id'), eventType: textAt(payload(), 'topic') };
  },
  sign: ({ body }, secret) => signBody(body, secret, SIGNATURE),
  sample(now, eventType = 'conversation.user.created') {
    const source = { type: 'conversation', body: '<p>Hi</p>' };
    const item = { type: 'conversation', id: String(now % 1_000_000_000), state: 'open', source };
    return jsonSample({
      type: 'notification_event',
      app_id: 'ecahpwf5',
      data: { type: 'notification_event_data', item },
      links: {},
      id: `notif_${randomUUID()}`,
      topic: eventType,
      delivery_status: 'pending',
      delivery_attempts: 1,
      delivered_at: 0,
      first_sent_at: now,
      created_at: now,
      self: null,
    });
  },
});
