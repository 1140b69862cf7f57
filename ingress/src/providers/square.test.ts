import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { WebhooksHelper } from 'square';
import { keysFor, verifierSuite } from '../../../test/support/verifier-suite.ts';
import { prepareSources } from '../ingest.ts';
import { parseSources } from './index.ts';
import { square } from './square.ts';

const URL_GIVEN = 'https://hooks.example.com/webhooks/square';
const body = Buffer.from(
  JSON.stringify({
    merchant_id: 'MLEFBHHSJGVHD',
    type: 'payment.updated',
    event_id: '6a8f5f28-54a1-4eb0-a98a-3111513fd4fc',
    data: { type: 'payment' },
  }),
);

// Square ships no signer, only WebhooksHelper.verifySignature: the suite signs by Square's documented scheme (base64
// HMAC-SHA256 of notification URL + body), and the tests below hold both that and hookpipe's signer to the helper.
// https://developer.squareup.com/docs/webhooks/step3validate
const documented = (payload: Buffer, key: string, url: string) =>
  createHmac('sha256', key)
    .update(url + payload.toString())
    .digest('base64');

verifierSuite({
  provider: square,
  options: {},
  secrets: ['square-signature-key', 'rotated-signature-key'],
  body,
  url: URL_GIVEN,
  signer: "Square's documented scheme (notification URL + body, base64 HMAC-SHA256)",
  sign: (payload, key, _now, url) => ({ 'x-square-hmacsha256-signature': documented(payload, key, url.toString()) }),
  signatureHeader: 'x-square-hmacsha256-signature',
});

const verify = (signature: string, url: string, key: string, payload = body) =>
  square.verify(
    { method: 'POST', url: new URL(url), headers: new Headers({ 'x-square-hmacsha256-signature': signature }), body: payload },
    keysFor(square, [key]),
    {},
    0,
  );

test("square: WebhooksHelper.verifySignature accepts hookpipe's signature, and hookpipe what it accepts", async () => {
  const input = { body, url: new URL(URL_GIVEN), now: 0, id: 'e', contentType: 'application/json' };
  const headers = square.sign(input, 'square-signature-key', {});
  const signatureHeader = headers['x-square-hmacsha256-signature']!;
  const checked = { requestBody: body.toString(), signatureKey: 'square-signature-key', notificationUrl: URL_GIVEN };
  assert.equal(await WebhooksHelper.verifySignature({ ...checked, signatureHeader }), true);
  assert.deepEqual(verify(signatureHeader, URL_GIVEN, 'square-signature-key'), { ok: true });
  // The helper's own refusals agree with ours: another URL, another key.
  assert.equal(await WebhooksHelper.verifySignature({ ...checked, signatureHeader, notificationUrl: `${URL_GIVEN}-2` }), false);
  assert.equal(verify(signatureHeader, `${URL_GIVEN}-2`, 'square-signature-key').ok, false);
  assert.equal(await WebhooksHelper.verifySignature({ ...checked, signatureHeader, signatureKey: 'another-key' }), false);
  assert.equal(verify(signatureHeader, URL_GIVEN, 'another-key').ok, false);
});

// Known answer: the vector every one of Square's SDKs tests WebhooksHelper with (the same values in each).
// https://github.com/square/square-python-sdk/blob/HEAD/tests/integration/test_webhooks_helper.py
const KNOWN = {
  body:
    '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f",' +
    '"created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}',
  signature: 'GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=',
  key: 'Ibxx_5AKakO-3qeNVR61Dw',
  url: 'https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9',
};

test("square: Square's published test vector is accepted, reproduced by sign(), and refused with a byte changed", async () => {
  const payload = Buffer.from(KNOWN.body);
  assert.deepEqual(verify(KNOWN.signature, KNOWN.url, KNOWN.key, payload), { ok: true });
  const signed = square.sign({ body: payload, url: new URL(KNOWN.url), now: 0, id: 'e', contentType: 'application/json' }, KNOWN.key, {});
  assert.equal(signed['x-square-hmacsha256-signature'], KNOWN.signature);
  const tampered = Buffer.from(payload);
  tampered[40]! ^= 0x01;
  assert.equal(verify(KNOWN.signature, KNOWN.url, KNOWN.key, tampered).ok, false);
  const checked = { requestBody: KNOWN.body, signatureHeader: KNOWN.signature, signatureKey: KNOWN.key, notificationUrl: KNOWN.url };
  assert.equal(await WebhooksHelper.verifySignature(checked), true);
});

test('square: the notification URL is signed, so a source without a public URL stops the start-up outside the emulator', () => {
  const sources = parseSources({ sources: [{ name: 'square', provider: 'square', secrets: ['k'] }] });
  assert.throws(() => prepareSources(sources), /sources\[0\]\.options\.publicUrl: source "square" \(square\) is signed over the URL/);
  const prepared = prepareSources(sources, { publicUrl: new URL('https://hooks.example.com') }).get('square')!;
  assert.equal(prepared.publicUrl?.toString(), URL_GIVEN);
  assert.equal(prepareSources(sources, { allowRequestUrl: true }).get('square')!.publicUrl, undefined);
});

test('square: events are described by event_id and type', () => {
  const request = { method: 'POST', url: new URL(URL_GIVEN), headers: new Headers(), body };
  assert.deepEqual(
    square.describe(request, () => JSON.parse(body.toString())),
    {
      deliveryId: '6a8f5f28-54a1-4eb0-a98a-3111513fd4fc',
      eventType: 'payment.updated',
    },
  );
});
