import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { verifierSuite } from '../../../test/support/verifier-suite.ts';
import { slack } from './slack.ts';

// Slack's documented scheme: v0=hex(HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + body)).
const documented = (body: Buffer, secret: string, now: number) => ({
  'x-slack-request-timestamp': String(now),
  'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${now}:${body.toString()}`).digest('hex')}`,
});

verifierSuite({
  provider: slack,
  options: { toleranceSeconds: 300 },
  secrets: ['8f742231b10e8888abcd99yyyzzz85a5', 'a-rotated-signing-secret'],
  body: Buffer.from('token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fweatherplease&text=94070'),
  contentType: 'application/x-www-form-urlencoded',
  signer: "Slack's documented v0 scheme",
  sign: documented,
  signatureHeader: 'x-slack-signature',
  toleranceSeconds: 300,
});

test('slack: url_verification is answered with its challenge; events are described by event_id and event.type', () => {
  const headers = new Headers({ 'content-type': 'application/json' });
  const request = { method: 'POST', url: new URL('https://h.example/'), headers, body: Buffer.from('') };
  const challenge = (payload: unknown) => slack.challenge!(payload, request, [], { toleranceSeconds: 300 });
  assert.deepEqual(challenge({ type: 'url_verification', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' }), {
    status: 200,
    contentType: 'application/json',
    body: '{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}',
  });
  assert.equal(challenge({ type: 'event_callback' }), undefined);
  const payload = { type: 'event_callback', event_id: 'Ev123', event: { type: 'app_mention' } };
  assert.deepEqual(
    slack.describe(request, () => payload),
    { deliveryId: 'Ev123', eventType: 'app_mention' },
  );
});

test('slack: interactivity forms are described from their payload field', () => {
  const body = Buffer.from(new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', trigger_id: '123.456' }) }).toString());
  const request = {
    method: 'POST',
    url: new URL('https://h.example/'),
    headers: new Headers({ 'content-type': 'application/x-www-form-urlencoded' }),
    body,
  };
  assert.deepEqual(
    slack.describe(request, () => undefined),
    { eventType: 'block_actions', deliveryId: '123.456' },
  );
});
