import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { keysFor, verifierSuite } from '../../../test/support/verifier-suite.ts';
import { standardWebhooks } from './standard-webhooks.ts';

const secrets: [string, string] = ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24='];
const body = Buffer.from(JSON.stringify({ type: 'invoice.paid', data: { id: 'inv_1' } }));

verifierSuite({
  provider: standardWebhooks,
  options: { toleranceSeconds: 300 },
  secrets,
  body,
  signer: "the standardwebhooks library's Webhook.sign",
  sign: (payload, secret, now) => ({
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(now),
    'webhook-signature': new Webhook(secret).sign('msg_1', new Date(now * 1000), payload),
  }),
  signatureHeader: 'webhook-signature',
  toleranceSeconds: 300,
});

test('standard-webhooks: several space-separated signatures, unknown versions ignored, svix-* headers accepted', () => {
  const now = 1_763_000_000;
  const good = new Webhook(secrets[1]).sign('msg_2', new Date(now * 1000), body);
  const request = {
    method: 'POST',
    url: new URL('https://h.example/'),
    headers: new Headers({ 'svix-id': 'msg_2', 'svix-timestamp': String(now), 'svix-signature': `v1a,AAAA v1,${'A'.repeat(44)} ${good}` }),
    body,
  };
  assert.deepEqual(standardWebhooks.verify(request, keysFor(standardWebhooks, secrets), { toleranceSeconds: 300 }, now), { ok: true });
});

test('standard-webhooks: the signed id is the header id, so a replayed signature under another id is refused', () => {
  const now = 1_763_000_000;
  const signature = new Webhook(secrets[0]).sign('msg_a', new Date(now * 1000), body);
  const request = {
    method: 'POST',
    url: new URL('https://h.example/'),
    headers: new Headers({ 'webhook-id': 'msg_b', 'webhook-timestamp': String(now), 'webhook-signature': signature }),
    body,
  };
  assert.equal(standardWebhooks.verify(request, keysFor(standardWebhooks, secrets), { toleranceSeconds: 300 }, now).ok, false);
});
