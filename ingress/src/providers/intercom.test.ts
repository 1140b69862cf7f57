import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { verifierSuite } from '../../../test/support/verifier-suite.ts';
import { intercom } from './intercom.ts';

// Intercom's documented scheme, written out independently: `sha1=` + hex HMAC-SHA1(client secret, raw body).
// https://developers.intercom.com/intercom-api-reference/v1.0/reference/signed-notifications
const documented = (body: Buffer, secret: string) => ({
  'x-hub-signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
});

const notification = {
  type: 'notification_event',
  app_id: 'ecahpwf5',
  data: { type: 'notification_event_data', item: { type: 'conversation', id: '147' } },
  id: 'notif_ccd8a4d2-c2c0-4b5b-9b4f-5b0c1f9b3e5a',
  topic: 'conversation.user.created',
  delivery_attempts: 1,
};

verifierSuite({
  provider: intercom,
  options: {},
  secrets: ['intercom-client-secret', 'rotated-client-secret'],
  body: Buffer.from(JSON.stringify(notification)),
  signer: "Intercom's documented scheme (sha1= hex HMAC-SHA1 of the body)",
  sign: documented,
  signatureHeader: 'x-hub-signature',
});

test('intercom: a SHA-256 signature in the header (GitHub-style) is not an Intercom signature', () => {
  const body = Buffer.from(JSON.stringify(notification));
  const sha256 = `sha1=${createHmac('sha256', 'intercom-client-secret').update(body).digest('hex')}`;
  const request = { method: 'POST', url: new URL('https://h.example/'), headers: new Headers({ 'x-hub-signature': sha256 }), body };
  assert.deepEqual(intercom.verify(request, [Buffer.from('intercom-client-secret')], {}, 0), { ok: false, reason: 'signature mismatch' });
});

test('intercom: notifications are described by their id and topic', () => {
  const request = { method: 'POST', url: new URL('https://h.example/'), headers: new Headers(), body: Buffer.alloc(0) };
  assert.deepEqual(
    intercom.describe(request, () => notification),
    {
      deliveryId: 'notif_ccd8a4d2-c2c0-4b5b-9b4f-5b0c1f9b3e5a',
      eventType: 'conversation.user.created',
    },
  );
});
