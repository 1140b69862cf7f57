import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { ingressApp, NOW } from '../../../test/support/ingress-app.ts';
import { keysFor, verifierSuite } from '../../../test/support/verifier-suite.ts';
import { parseSources } from './index.ts';
import { twitch } from './twitch.ts';

// Twitch's documented scheme, written out independently: `sha256=` + hex HMAC-SHA256(secret, message id + timestamp
// + raw body), the timestamp as sent (RFC 3339).
// https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#verifying-the-event-message
const MESSAGE_ID = 'e76c6bd4-55c9-4987-8304-da1588d8988b';
function documented(body: string | Buffer, secret: string, timestamp: string, type = 'notification', id = MESSAGE_ID) {
  const signature = createHmac('sha256', secret).update(id).update(timestamp).update(body).digest('hex');
  return {
    'twitch-eventsub-message-id': id,
    'twitch-eventsub-message-timestamp': timestamp,
    'twitch-eventsub-message-type': type,
    'twitch-eventsub-message-signature': `sha256=${signature}`,
  };
}
const rfc3339 = (seconds: number) => new Date(seconds * 1000).toISOString();

const SECRET = 's3cRe7-eventsub-secret';
const notification = JSON.stringify({
  subscription: { id: 'f1c2a387-161a-49f9-a165-0f21d7a4e1c4', type: 'channel.follow', version: '2', status: 'enabled' },
  event: { user_id: '1234', user_login: 'cool_user', broadcaster_user_id: '1337', followed_at: '2025-11-13T02:13:20.000Z' },
});

verifierSuite({
  provider: twitch,
  options: { toleranceSeconds: 600 },
  secrets: [SECRET, 'rotated-eventsub-secret'],
  body: Buffer.from(notification),
  signer: "Twitch's documented scheme (id + timestamp + body, HMAC-SHA256)",
  sign: (body, secret, now) => documented(body, secret, rfc3339(now)),
  signatureHeader: 'twitch-eventsub-message-signature',
  toleranceSeconds: 600,
});

const verify = (headers: Record<string, string>, body = notification) =>
  twitch.verify(
    { method: 'POST', url: new URL('https://h.example/'), headers: new Headers(headers), body: Buffer.from(body) },
    keysFor(twitch, [SECRET]),
    { toleranceSeconds: 600 },
    NOW,
  );

test('twitch: a timestamp with nanoseconds (as Twitch sends them) is signed as sent and accepted; other clocks are refused', () => {
  assert.deepEqual(verify(documented(notification, SECRET, '2025-11-13T02:13:20.123456789Z')), { ok: true });
  assert.deepEqual(verify(documented(notification, SECRET, '2025-11-13T03:13:20.5+01:00')), { ok: true });
  for (const timestamp of [String(NOW), '2025-11-13 02:13:20Z', '2025-11-13T02:13:20', '']) {
    assert.deepEqual(verify(documented(notification, SECRET, timestamp)), {
      ok: false,
      reason: 'missing or malformed Twitch-Eventsub-Message-Timestamp header',
    });
  }
});

test('twitch: the message id is signed, so a request without it or with another is refused', () => {
  const headers = documented(notification, SECRET, rfc3339(NOW));
  const { 'twitch-eventsub-message-id': _id, ...withoutId } = headers;
  assert.deepEqual(verify(withoutId), { ok: false, reason: 'missing Twitch-Eventsub-Message-Id header' });
  assert.deepEqual(verify({ ...headers, 'twitch-eventsub-message-id': 'another-id' }), { ok: false, reason: 'signature mismatch' });
});

const sources = parseSources({ sources: [{ name: 'twitch', provider: 'twitch', secrets: [SECRET] }] });
const post = (app: ReturnType<typeof ingressApp>['app'], body: string, headers: Record<string, string>) =>
  app.request('/webhooks/twitch', { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
const verification = JSON.stringify({
  challenge: 'pogchamp-kappa-360noscope-vohiyo',
  subscription: { id: 'f1c2a387-161a-49f9-a165-0f21d7a4e1c4', status: 'webhook_callback_verification_pending', type: 'channel.follow' },
});

test('twitch: webhook_callback_verification is answered with the bare challenge, after the signature, and never published', async () => {
  const { app, published } = ingressApp(sources);
  const answered = await post(app, verification, documented(verification, SECRET, rfc3339(NOW), 'webhook_callback_verification'));
  assert.equal(answered.status, 200);
  assert.match(answered.headers.get('content-type') ?? '', /^text\/plain/);
  assert.equal(await answered.text(), 'pogchamp-kappa-360noscope-vohiyo');
  // The answer is the challenge alone, the same under any secret: nothing in it is derived from the key, so it can
  // never serve as a signature (handshake.ts).
  const other = ingressApp(parseSources({ sources: [{ name: 'twitch', provider: 'twitch', secrets: ['another-secret'] }] }));
  const otherHeaders = documented(verification, 'another-secret', rfc3339(NOW), 'webhook_callback_verification');
  const underOther = await post(other.app, verification, otherHeaders);
  assert.equal(await underOther.text(), 'pogchamp-kappa-360noscope-vohiyo');

  const unsigned = await post(app, verification, documented(verification, 'not-the-secret', rfc3339(NOW), 'webhook_callback_verification'));
  assert.equal(unsigned.status, 401);
  const stale = await post(app, verification, documented(verification, SECRET, rfc3339(NOW - 601), 'webhook_callback_verification'));
  assert.equal(stale.status, 401);
  assert.equal(published.length, 0);
});

test('twitch: the unsigned message type cannot publish a verification, nor make a verification of a notification', async () => {
  const { app, published } = ingressApp(sources);
  // A captured verification replayed as a "notification": the challenge in its body still makes it a verification.
  const relabelled = await post(app, verification, documented(verification, SECRET, rfc3339(NOW), 'notification'));
  assert.equal(relabelled.status, 200);
  assert.equal(await relabelled.text(), 'pogchamp-kappa-360noscope-vohiyo');
  // A verification without a challenge Twitch would send is refused, not published.
  for (const challenge of [undefined, 'a b', 'x'.repeat(513)]) {
    const body = JSON.stringify({ challenge, subscription: { type: 'channel.follow' } });
    const refused = await post(app, body, documented(body, SECRET, rfc3339(NOW), 'webhook_callback_verification'));
    assert.equal(refused.status, 400, String(challenge));
  }
  assert.equal(published.length, 0);
});

test('twitch: notifications are published as their subscription type, revocations as `revocation`, by message id', async () => {
  const { app, published } = ingressApp(sources);
  assert.equal((await post(app, notification, documented(notification, SECRET, rfc3339(NOW)))).status, 202);
  const revocation = JSON.stringify({ subscription: { id: 'f1c2a387', status: 'authorization_revoked', type: 'channel.follow' } });
  const headers = documented(revocation, SECRET, rfc3339(NOW), 'revocation', 'b1c5e7a2-0000-4000-8000-000000000001');
  assert.equal((await post(app, revocation, headers)).status, 202);
  assert.deepEqual(
    published.map(({ attributes }) => [attributes.deliveryId, attributes.eventType]),
    [
      [MESSAGE_ID, 'channel.follow'],
      ['b1c5e7a2-0000-4000-8000-000000000001', 'revocation'],
    ],
  );
});

test("twitch: hookpipe's signer labels each kind of body as Twitch does", () => {
  const typeOf = (body: string) => {
    const input = { body: Buffer.from(body), url: new URL('https://h.example/'), now: NOW, id: 'm-1', contentType: 'application/json' };
    return twitch.sign(input, SECRET, { toleranceSeconds: 600 })['twitch-eventsub-message-type'];
  };
  const kinds = [notification, verification, JSON.stringify({ subscription: { status: 'user_removed' } })].map(typeOf);
  assert.deepEqual(kinds, ['notification', 'webhook_callback_verification', 'revocation']);
});
