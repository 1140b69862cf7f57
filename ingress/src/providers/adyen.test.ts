// Adyen signs inside the body, per notification item, so the header-based verifier suite does not fit: the same cases
// are written out here. Signed by Adyen's published examples (values only): the worked example of Adyen's "Verify HMAC
// signatures" page and the fixture of Adyen's Node library; and, for the rest, by the documented scheme written here
// independently of adyen.ts. The answer Adyen requires, `200 [accepted]`, is checked through the ingress app.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { HttpError } from '../../../shared/src/errors.ts';
import { ingressApp } from '../../../test/support/ingress-app.ts';
import { signInput, webhookRequest } from '../../../test/support/webhook-request.ts';
import { adyen } from './adyen.ts';
import { parseSources } from './index.ts';

type Item = Record<string, unknown>;

// https://docs.adyen.com/development-resources/webhooks/secure-webhooks/verify-hmac-signatures: its key, its
// notification (the signing string `7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true`)
// and the signature it shows.
const DOCS_KEY = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';
const DOCS_SIGNATURE = 'coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0=';
const docsItem = (): Item => ({
  additionalData: { hmacSignature: DOCS_SIGNATURE },
  amount: { value: 1130, currency: 'EUR' },
  pspReference: '7914073381342284',
  eventCode: 'AUTHORISATION',
  eventDate: '2019-05-06T17:15:34.121+02:00',
  merchantAccountCode: 'TestMerchant',
  operations: ['CANCEL', 'CAPTURE', 'REFUND'],
  merchantReference: 'TestPayment-1407325143704',
  paymentMethod: 'visa',
  success: 'true',
});
const notification = (...items: Item[]) =>
  Buffer.from(JSON.stringify({ live: 'false', notificationItems: items.map((item) => ({ NotificationRequestItem: item })) }));

const keyOf = (hex: string) => adyen.key!(hex);
const verify = (body: Buffer, keys: string[], options = {}, headers: Record<string, string> = {}) =>
  adyen.verify(webhookRequest(headers, body), keys.map(keyOf), options, 0);
const refused = (reason: string) => ({ ok: false, reason });
const describe = (body: Buffer) => adyen.describe(webhookRequest({}, body), () => JSON.parse(body.toString()));

/** The documented scheme, independently: the eight fields joined by colons as they are, HMAC-SHA256 under the hex key. */
function documentedSignature(item: Item, hexKey: string): string {
  const amount = (item.amount ?? {}) as Item;
  const references = [item.pspReference, item.originalReference, item.merchantAccountCode, item.merchantReference];
  const values = [...references, amount.value, amount.currency, item.eventCode, item.success];
  const text = values.map((value) => (value === undefined ? '' : String(value))).join(':');
  return createHmac('sha256', Buffer.from(hexKey, 'hex')).update(text, 'utf8').digest('base64');
}
const signedBy = (hexKey: string, item: Item): Item => ({ ...item, additionalData: { hmacSignature: documentedSignature(item, hexKey) } });

const KEY = 'A4473AFEC218FF55028B9919113328AB44EFC68BD4D9C28C4DA9A622CF40C02E';
const NEXT_KEY = 'B1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B1C2';

test("adyen: the documentation's worked example is accepted, and sealing its item reproduces the published signature", () => {
  assert.deepEqual(verify(notification(docsItem()), [DOCS_KEY]), { ok: true });
  const { additionalData: _, ...unsigned } = docsItem();
  const sealed = JSON.parse(adyen.seal!(signInput(notification(unsigned)), DOCS_KEY, {}).toString());
  assert.equal(sealed.notificationItems[0].NotificationRequestItem.additionalData.hmacSignature, DOCS_SIGNATURE);
});

// https://github.com/Adyen/adyen-node-api-library/blob/HEAD/src/__tests__/hmacValidator.spec.ts: its key, item and signature.
test("adyen: the fixture of Adyen's Node library is accepted (originalReference present, amount 1000 EUR, CAPTURE)", () => {
  const item = {
    pspReference: 'pspReference',
    originalReference: 'originalReference',
    merchantAccountCode: 'merchantAccount',
    merchantReference: 'reference',
    amount: { currency: 'EUR', value: 1000 },
    eventCode: 'CAPTURE',
    success: 'true',
    additionalData: { hmacSignature: 'xhpHvYq2u2Np0rstbZ6QjLGu7JWhvf7Iwaa6EviJSX0=' },
  };
  assert.deepEqual(verify(notification(item), ['DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00']), { ok: true });
});

test('adyen: another key is refused; with two keys configured (a rotation) a signature by either is accepted', () => {
  const item = { ...docsItem(), merchantReference: 'order-7' };
  assert.deepEqual(verify(notification(signedBy(NEXT_KEY, item)), [KEY]), refused('signature mismatch in notification item 1'));
  for (const hex of [KEY, NEXT_KEY]) assert.deepEqual(verify(notification(signedBy(hex, item)), [KEY, NEXT_KEY]), { ok: true }, hex);
});

test('adyen: every item of a batch must verify; one forged item refuses the whole request', () => {
  const good = signedBy(KEY, { ...docsItem(), pspReference: '1111111111111111' });
  const forged = { ...signedBy(NEXT_KEY, { ...docsItem(), pspReference: '2222222222222222' }) };
  assert.deepEqual(verify(notification(good, signedBy(KEY, { ...docsItem(), pspReference: '3333333333333333' })), [KEY]), { ok: true });
  assert.deepEqual(verify(notification(good, forged), [KEY]), refused('signature mismatch in notification item 2'));
  const unsigned = { ...docsItem(), additionalData: {} };
  assert.deepEqual(verify(notification(good, unsigned), [KEY]), refused('notification item 2 is missing additionalData.hmacSignature'));
});

test('adyen: any one byte changed in a body of signed fields only is refused, wherever it is', () => {
  // Only the eight signed fields, none empty: every byte is part of a signed value, a key naming one, the signature
  // or the JSON around them. (Adyen's HMAC does not cover the other fields: see adyen.ts.)
  const item = signedBy(KEY, {
    pspReference: '7914073381342284',
    originalReference: '8313547924770610',
    merchantAccountCode: 'TestMerchant',
    merchantReference: 'order-7',
    amount: { value: 1130, currency: 'EUR' },
    eventCode: 'CAPTURE',
    success: 'true',
  });
  const body = Buffer.from(JSON.stringify({ notificationItems: [{ NotificationRequestItem: item }] }));
  assert.deepEqual(verify(body, [KEY]), { ok: true });
  for (let index = 0; index < body.length; index++) {
    const tampered = Buffer.from(body);
    tampered[index]! ^= 0x01;
    assert.equal(verify(tampered, [KEY]).ok, false, `byte ${index} (${JSON.stringify(body.toString('latin1', index, index + 1))})`);
  }
});

test("adyen: values are joined as they are, a colon or backslash in merchantReference included, as Adyen's libraries do", () => {
  const item = signedBy(KEY, { ...docsItem(), merchantReference: 'INV:42\\a' });
  assert.deepEqual(verify(notification(item), [KEY]), { ok: true });
  const escaped = { ...item, merchantReference: 'INV\\:42\\\\a' };
  assert.equal(verify(notification(escaped), [KEY]).ok, false);
});

test('adyen: a body that is not a notification, or has no item, is refused before any key is tried', () => {
  const reason = 'an Adyen body is a JSON object with notificationItems';
  for (const body of ['not json', '[]', '{"notificationItems":[]}', '{"notificationItems":[{"NotificationRequestItem":"x"}]}']) {
    assert.deepEqual(verify(Buffer.from(body), [KEY]), { ok: false, reason }, body);
  }
});

test('adyen: a key that is not hexadecimal stops the start-up, naming the secret', () => {
  const sources = { sources: [{ name: 'adyen', provider: 'adyen', secrets: ['not-a-hex-key'] }] };
  assert.throws(() => parseSources(sources, {}), /sources\[0\]\.secrets\[0\].*hexadecimal/s);
  assert.equal(keyOf('abc').length, 0, 'an odd number of digits is not a key either');
});

test('adyen: with basicAuth configured, the Authorization header is required too', () => {
  const options = { basicAuth: { username: 'ws_123@Company.Acme', password: 'basic-password' } };
  const body = notification(signedBy(KEY, docsItem()));
  const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
  assert.deepEqual(verify(body, [KEY], options, basic('ws_123@Company.Acme', 'basic-password')), { ok: true });
  assert.deepEqual(verify(body, [KEY], options, basic('ws_123@Company.Acme', 'guess')), refused('basic authentication mismatch'));
  assert.deepEqual(verify(body, [KEY], options), refused('missing Authorization header'));
  assert.deepEqual(adyen.sign(signInput(body), KEY, options), basic('ws_123@Company.Acme', 'basic-password'));
});

test('adyen: the delivery id is made of signed fields (a replay, altered or not, is the same delivery); the type is eventCode', () => {
  const item = docsItem();
  const described = describe(notification(item));
  assert.deepEqual(described, { deliveryId: '7914073381342284:AUTHORISATION:true:TestPayment-1407325143704', eventType: 'AUTHORISATION' });
  const altered = { ...item, reason: 'changed', eventDate: '2030-01-01T00:00:00Z' };
  assert.equal(describe(notification(altered)).deliveryId, described.deliveryId);
  assert.deepEqual(describe(notification(item, { ...item, pspReference: '9', eventCode: 'CAPTURE' })), {
    deliveryId: '7914073381342284:AUTHORISATION:true:TestPayment-1407325143704 9:CAPTURE:true:TestPayment-1407325143704',
    eventType: 'AUTHORISATION,CAPTURE',
  });
});

const sources = parseSources({ sources: [{ name: 'adyen', provider: 'adyen', secrets: [KEY] }] }, {});
const deliver = (app: ReturnType<typeof ingressApp>['app'], body: Buffer) =>
  app.request('/webhooks/adyen', { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array(body) });

test('adyen: a verified notification is answered 200 [accepted], as Adyen requires, once it is published', async () => {
  const { app, published } = ingressApp(sources);
  const body = notification(signedBy(KEY, docsItem()));
  const response = await deliver(app, body);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), '[accepted]');
  assert.equal(published.length, 1);
  assert.equal(published[0]!.data.toString(), body.toString());
  assert.equal(published[0]!.attributes.eventType, 'AUTHORISATION');
});

test('adyen: no [accepted] before Pub/Sub confirmed: a refused publish is a 503 Adyen retries, a bad signature a 401', async () => {
  const failing = {
    publish: async () => {
      throw new HttpError('unavailable', 'Pub/Sub refused the publish; retry later', { retryAfterSeconds: 5 });
    },
    outstanding: () => ({ messages: 0, bytes: 0 }),
    drain: async () => {},
  };
  const { app } = ingressApp(sources, { publisher: failing });
  const refused = await deliver(app, notification(signedBy(KEY, docsItem())));
  assert.equal(refused.status, 503);
  assert.notEqual(await refused.text(), '[accepted]');
  const forged = await deliver(ingressApp(sources).app, notification(signedBy(NEXT_KEY, docsItem())));
  assert.equal(forged.status, 401);
});

test("adyen: hookpipe's sample, sealed, verifies and describes itself", () => {
  const sample = adyen.sample(1_763_000_000, 'REFUND');
  const sealed = adyen.seal!(signInput(sample.body), KEY, {});
  assert.deepEqual(verify(sealed, [KEY]), { ok: true });
  assert.equal(describe(sealed).eventType, 'REFUND');
  assert.equal(verify(sample.body, [KEY]).ok, false, 'unsealed, the sample carries no signature');
});
