// Paddle's Node SDK verifies but does not sign: the suite signs with the documented scheme, written here independently
// of paddle.ts (`Paddle-Signature: ts=<unix>;h1=<hex HMAC-SHA256 of "<ts>:<body>">`,
// https://developer.paddle.com/webhooks/signature-verification), and the SDK's own verifier (WebhooksValidator, as
// Webhooks.unmarshal calls it) is held to agree with hookpipe both ways: it accepts what `hookpipe send` signs, and
// hookpipe accepts the SDK's own test fixtures (values from paddle-node-sdk's webhooks-validator.node.test.ts).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, mock, test } from 'node:test';
import { NodeRuntime, WebhooksValidator } from '@paddle/paddle-node-sdk';
import { keysFor, verifierSuite } from '../../../test/support/verifier-suite.ts';
import { signInput, webhookRequest } from '../../../test/support/webhook-request.ts';
import { paddle } from './paddle.ts';

const NOW = 1_763_000_000;
const SECRET = 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI';
const event = { event_id: 'evt_01hv8wptq8987qeep44cyrewp9', event_type: 'transaction.completed', data: { id: 'txn_01hv8wnw3z3nk' } };
const body = Buffer.from(JSON.stringify(event));
const h1 = (payload: Buffer | string, secret: string, ts: number) =>
  createHmac('sha256', secret).update(`${ts}:`).update(payload).digest('hex');
const request = (signature: string, payload: Buffer = body) => webhookRequest({ 'paddle-signature': signature }, payload);

verifierSuite({
  provider: paddle,
  options: { toleranceSeconds: 30 },
  secrets: [SECRET, 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_nextKeyForTheRotation000000000'],
  body,
  signer: 'the documented scheme',
  sign: (payload, secret, now) => ({ 'paddle-signature': `ts=${now};h1=${h1(payload, secret, now)}` }),
  signatureHeader: 'paddle-signature',
  toleranceSeconds: 30,
});

// The SDK reads the real clock (and allows 5 s after ts): it is pinned here to the signing time.
before(() => {
  NodeRuntime.initialize();
  mock.timers.enable({ apis: ['Date'], now: NOW * 1000 });
});
after(() => mock.timers.reset());

test("paddle: the SDK's verifier accepts what hookpipe's sign() makes, and refuses it for another body or secret", async () => {
  const signature = paddle.sign(signInput(body, NOW), SECRET, { toleranceSeconds: 30 })['paddle-signature']!;
  const validator = new WebhooksValidator();
  assert.equal(await validator.isValidSignature(body.toString(), SECRET, signature), true);
  assert.equal(await validator.isValidSignature(`${body} `, SECRET, signature), false);
  assert.equal(await validator.isValidSignature(body.toString(), `${SECRET}x`, signature), false);
});

test("paddle: the SDK's fixtures, valid and invalid, get the same verdicts from hookpipe", () => {
  const fixtureNow = 1698796800; // 2023-11-01, the time the SDK's tests pin
  const keys = keysFor(paddle, ['VALID_SECRET']);
  const verify = (payload: string, signature: string) =>
    paddle.verify(request(signature, Buffer.from(payload)), keys, { toleranceSeconds: 5 }, fixtureNow);
  const refused = (reason: string) => ({ ok: false, reason });
  const valid = 'ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9';
  assert.deepEqual(verify('{"data": ["1", "2"]}', valid), { ok: true });
  const multiple =
    'ts=1698796800;h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261;' +
    'h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261;h2=RANDOM_HASH';
  assert.deepEqual(verify('{"data": "value"}', multiple), { ok: true });
  assert.deepEqual(verify('{ "data": [ "1", "2" ]}', valid), refused('signature mismatch'));
  assert.deepEqual(verify('{"data": ["1", "2"]}', valid.replace('1698796800', '9876')), refused('timestamp outside the tolerance'));
  assert.deepEqual(verify('{"data": ["1", "2"]}', 'ts=1234;h2=invalid_header'), refused('Paddle-Signature has no h1 signature'));
});

test("paddle: several h1 during a rotation, any one matching is enough; the id and type are the event's", () => {
  const signature = `ts=${NOW};h1=${h1(body, 'retired', NOW)};h1=${h1(body, SECRET, NOW)}`;
  assert.deepEqual(paddle.verify(request(signature), keysFor(paddle, [SECRET]), { toleranceSeconds: 30 }, NOW), { ok: true });
  const described = paddle.describe(request(signature), () => event);
  assert.deepEqual(described, { deliveryId: 'evt_01hv8wptq8987qeep44cyrewp9', eventType: 'transaction.completed' });
});
