import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { keysFor, verifierSuite } from '../../../test/support/verifier-suite.ts';
import { x } from './x.ts';

verifierSuite({
  provider: x,
  options: {},
  secrets: ['x-consumer-secret', 'x-consumer-secret-2'],
  body: Buffer.from(JSON.stringify({ for_user_id: '2244994945', tweet_create_events: [{ id_str: '1' }] })),
  signer: "X's documented scheme (base64 HMAC-SHA256 of the body)",
  sign: (body, secret) => ({ 'x-twitter-webhooks-signature': `sha256=${createHmac('sha256', secret).update(body).digest('base64')}` }),
  signatureHeader: 'x-twitter-webhooks-signature',
});

test('x: the CRC check answers with the HMAC of crc_token under the current consumer secret', () => {
  const request = {
    method: 'GET',
    url: new URL('https://h.example/webhooks/x?crc_token=challenge123'),
    headers: new Headers(),
    body: Buffer.alloc(0),
  };
  const reply = x.handshake!(request, keysFor(x, ['x-consumer-secret', 'older']), {})!;
  const expected = `sha256=${createHmac('sha256', 'x-consumer-secret').update('challenge123').digest('base64')}`;
  assert.deepEqual(JSON.parse(reply.body), { response_token: expected });
  assert.equal(reply.status, 200);
});

test('x: the event type is the *_events key of the payload', () => {
  const request = { method: 'POST', url: new URL('https://h.example/'), headers: new Headers(), body: Buffer.alloc(0) };
  assert.deepEqual(
    x.describe(request, () => ({ for_user_id: '1', favorite_events: [] })),
    { eventType: 'favorite_events' },
  );
});
