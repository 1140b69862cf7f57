import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mock, test } from 'node:test';
import { LinearWebhookClient } from '@linear/sdk/webhooks';
import { NOW } from '../../../test/support/ingress-app.ts';
import { keysFor, verifierSuite } from '../../../test/support/verifier-suite.ts';
import { linear } from './linear.ts';

// @linear/sdk ships a verifier (LinearWebhookClient.verify), not a signer: the suite signs by Linear's documented
// scheme, hex HMAC-SHA256 of the raw body (https://linear.app/developers/webhooks#securing-webhooks), and the tests
// below hold both that and hookpipe's signer to Linear's client.
const SECRET = 'lin_wh_signing_secret';
const documented = (body: Buffer | string, secret: string) => createHmac('sha256', secret).update(body).digest('hex');
const bodyAt = (millis: number | string | undefined, action = 'create') =>
  JSON.stringify({ action, type: 'Issue', data: { id: '2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9', title: 'Flux' }, webhookTimestamp: millis });

verifierSuite({
  provider: linear,
  options: { toleranceSeconds: 60 },
  secrets: [SECRET, 'rotated-signing-secret'],
  body: Buffer.from(bodyAt(NOW * 1000)),
  signer: "Linear's documented scheme (hex HMAC-SHA256 of the body)",
  sign: (body, secret) => ({ 'linear-signature': documented(body, secret), 'linear-delivery': '234d1a4e-b617-4388-90fe-adc3633d6b72' }),
  signatureHeader: 'linear-signature',
});

const request = (headers: Record<string, string>, body = '') => ({
  method: 'POST',
  url: new URL('https://h.example/'),
  headers: new Headers(headers),
  body: Buffer.from(body),
});
const verify = (body: string, now = NOW, signature = documented(body, SECRET)) =>
  linear.verify(request({ 'linear-signature': signature }, body), keysFor(linear, [SECRET]), { toleranceSeconds: 60 }, now);

/** Linear's own check, on a clock set to `now` (it reads Date.now). */
function linearAccepts(body: string, signature: string, now: number): boolean {
  mock.timers.enable({ apis: ['Date'], now: now * 1000 });
  try {
    return new LinearWebhookClient(SECRET).verify(Buffer.from(body), signature);
  } catch {
    return false;
  } finally {
    mock.timers.reset();
  }
}

test('linear: webhookTimestamp, signed inside the body, must be within a minute either way, as Linear checks it', () => {
  for (const skew of [61, -61]) {
    const body = bodyAt((NOW - skew) * 1000);
    assert.deepEqual(verify(body), { ok: false, reason: 'timestamp outside the tolerance' }, `skew ${skew}`);
    assert.equal(linearAccepts(body, documented(body, SECRET), NOW), false, `Linear's client, skew ${skew}`);
  }
  for (const skew of [60, -60, 0]) {
    const body = bodyAt((NOW - skew) * 1000);
    assert.deepEqual(verify(body), { ok: true }, `skew ${skew}`);
    assert.equal(linearAccepts(body, documented(body, SECRET), NOW), true, `Linear's client, skew ${skew}`);
  }
});

test('linear: a body without a numeric webhookTimestamp is refused, after its signature', () => {
  for (const millis of [undefined, String(NOW * 1000), NOW * 1000 + 0.5]) {
    assert.deepEqual(verify(bodyAt(millis)), { ok: false, reason: 'missing or malformed webhookTimestamp in the body' }, String(millis));
  }
  const unsigned = verify(bodyAt(undefined), NOW, documented(bodyAt(undefined), 'another-secret'));
  assert.deepEqual(unsigned, { ok: false, reason: 'signature mismatch' });
});

test("linear: LinearWebhookClient accepts hookpipe's signature, and refuses what hookpipe refuses", () => {
  const body = bodyAt(NOW * 1000);
  const input = { body: Buffer.from(body), url: new URL('https://h.example/'), now: NOW, id: 'd-1', contentType: 'application/json' };
  const signed = linear.sign(input, SECRET, { toleranceSeconds: 60 });
  assert.equal(signed['linear-delivery'], 'd-1');
  assert.equal(linearAccepts(body, signed['linear-signature']!, NOW), true);
  const tampered = bodyAt(NOW * 1000, 'remove');
  assert.equal(linearAccepts(tampered, signed['linear-signature']!, NOW), false);
  assert.equal(verify(tampered, NOW, signed['linear-signature']).ok, false);
});

test('linear: `hookpipe send` stamps webhookTimestamp afresh, so a --resend a minute later is accepted', () => {
  const sample = linear.sample(NOW);
  const input = { body: sample.body, url: new URL('https://h.example/'), now: NOW + 120, id: 'd-2', contentType: 'application/json' };
  const sealed = linear.seal!(input, SECRET, { toleranceSeconds: 60 });
  assert.equal(verify(sample.body.toString(), NOW + 120).ok, false, 'the sample as it was made is stale by then');
  assert.deepEqual(verify(sealed.toString(), NOW + 120), { ok: true });
  const event = (body: Buffer) => ({ ...JSON.parse(body.toString()), webhookTimestamp: 0 });
  assert.deepEqual(event(sealed), event(sample.body), 'the same event otherwise');
});

test('linear: deliveries are described by Linear-Delivery and type.action', () => {
  const delivery = request({ 'linear-delivery': 'd-7' });
  assert.deepEqual(
    linear.describe(delivery, () => JSON.parse(bodyAt(1, 'update'))),
    { deliveryId: 'd-7', eventType: 'Issue.update' },
  );
  assert.deepEqual(
    linear.describe(delivery, () => ({ type: 'Issue' })),
    { deliveryId: 'd-7', eventType: 'Issue' },
  );
});
