import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { ingressApp, NOW } from '../../../test/support/ingress-app.ts';
import { verifierSuite } from '../../../test/support/verifier-suite.ts';
import { parseSources } from './index.ts';
import { zoom } from './zoom.ts';

// Zoom's documented scheme, written out independently: `v0=` + hex HMAC-SHA256(secret token,
// "v0:" + x-zm-request-timestamp + ":" + raw body). https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events
const documented = (body: string | Buffer, secret: string, now: number) => ({
  'x-zm-request-timestamp': String(now),
  'x-zm-signature': `v0=${createHmac('sha256', secret).update(`v0:${now}:${body.toString()}`).digest('hex')}`,
});

const SECRET = 'zoom-secret-token';
const event = (ts: number, participant = 'Jill') => {
  const object = { id: '85746065432', participant: { user_name: participant } };
  return JSON.stringify({ event: 'meeting.participant_joined', event_ts: ts, payload: { object } });
};

verifierSuite({
  provider: zoom,
  options: { toleranceSeconds: 300 },
  secrets: [SECRET, 'rotated-secret-token'],
  body: Buffer.from(event(1_763_000_000_123)),
  signer: "Zoom's documented v0 scheme",
  sign: documented,
  signatureHeader: 'x-zm-signature',
  toleranceSeconds: 300,
});

const sources = parseSources({ sources: [{ name: 'zoom', provider: 'zoom', secrets: [SECRET, 'older-secret-token'] }] });
const post = (app: ReturnType<typeof ingressApp>['app'], body: string, headers: Record<string, string>) =>
  app.request('/webhooks/zoom', { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
const validation = (plainToken: unknown) =>
  JSON.stringify({ payload: { plainToken }, event_ts: NOW * 1000, event: 'endpoint.url_validation' });

test('zoom: endpoint.url_validation is answered with the HMAC of plainToken under the secret that signed it, never published', async () => {
  const { app, published } = ingressApp(sources);
  for (const secret of [SECRET, 'older-secret-token']) {
    const body = validation('qgg8vlvZRS6UYooatFL8Aw');
    const response = await post(app, body, documented(body, secret, NOW));
    assert.equal(response.status, 200, secret);
    assert.deepEqual(await response.json(), {
      plainToken: 'qgg8vlvZRS6UYooatFL8Aw',
      encryptedToken: createHmac('sha256', secret).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex'),
    });
  }
  assert.equal(published.length, 0);
});

test('zoom: a validation is answered only when it is itself signed and fresh', async () => {
  const { app, published } = ingressApp(sources);
  const body = validation('qgg8vlvZRS6UYooatFL8Aw');
  assert.equal((await post(app, body, documented(body, 'not-the-secret', NOW))).status, 401);
  assert.equal((await post(app, body, documented(body, SECRET, NOW - 301))).status, 401);
  assert.equal((await post(app, body, documented(body, SECRET, NOW + 301))).status, 401);
  assert.equal((await post(app, body, {})).status, 401);
  assert.equal(published.length, 0);
});

test('zoom: the validation answer never signs a Zoom delivery: plainTokens that could spell "v0:..." are refused', async () => {
  const { app, published } = ingressApp(sources);
  // What an attacker holding one signed validation would want signed: the content of a forged delivery.
  const forged = event(NOW * 1000, 'Mallory');
  for (const plainToken of [`v0:${NOW}:${forged}`, 'v0:', 'a:b', forged, 'x'.repeat(257), '', 42.5]) {
    const body = validation(plainToken);
    const response = await post(app, body, documented(body, SECRET, NOW));
    assert.equal(response.status, 400, String(plainToken));
    assert.doesNotMatch(await response.text(), /encryptedToken/);
  }
  // An answer Zoom's tokens get, tried as the signature of a delivery at the same timestamp, is refused.
  const body = validation('qgg8vlvZRS6UYooatFL8Aw');
  const { encryptedToken } = (await (await post(app, body, documented(body, SECRET, NOW))).json()) as { encryptedToken: string };
  const attempt = await post(app, forged, { 'x-zm-request-timestamp': String(NOW), 'x-zm-signature': `v0=${encryptedToken}` });
  assert.equal(attempt.status, 401);
  assert.equal(published.length, 0);
});

test('zoom: deliveries are published by event, with an id from event_ts and the body: kept by a retry, not by another event', async () => {
  const { app, published } = ingressApp(sources);
  const first = event(NOW * 1000 + 5, 'Jill');
  const second = event(NOW * 1000 + 5, 'Jack');
  for (const body of [first, first, second]) assert.equal((await post(app, body, documented(body, SECRET, NOW))).status, 202);
  const ids = published.map(({ attributes }) => attributes.deliveryId);
  assert.equal(ids[0], ids[1], 'a retry of the same event');
  assert.notEqual(ids[0], ids[2], 'two participants joining in the same millisecond');
  assert.match(ids[0]!, new RegExp(`^${NOW * 1000 + 5}-[0-9a-f]{32}$`));
  assert.deepEqual(new Set(published.map(({ attributes }) => attributes.eventType)), new Set(['meeting.participant_joined']));
});
