import assert from 'node:assert/strict';
import { test } from 'node:test';
import Stripe from 'stripe';
import { keysFor, timestampedHeader, verifierSuite } from '../../../test/support/verifier-suite.ts';
import { parseSignatureHeader } from './signature-header.ts';
import { STRIPE_SIGNATURE, stripe } from './stripe.ts';

const body = Buffer.from(
  JSON.stringify({ id: 'evt_1', object: 'event', type: 'payment_intent.succeeded', data: { object: { id: 'pi_1' } } }),
);

verifierSuite({
  provider: stripe,
  secrets: ['whsec_current', 'whsec_next'],
  body,
  signer: "stripe's webhooks.generateTestHeaderString",
  ...timestampedHeader('stripe-signature', 300, (payload, secret, now) => {
    return Stripe.webhooks.generateTestHeaderString({ payload: payload.toString(), secret, timestamp: now });
  }),
});

test('stripe: a header with several v1 signatures (a secret being rolled) is accepted when any one matches', () => {
  const now = 1_763_000_000;
  const good = Stripe.webhooks.generateTestHeaderString({ payload: body.toString(), secret: 'whsec_current', timestamp: now });
  const v1 = good.split(',v1=')[1]!;
  const header = `t=${now},v1=${'0'.repeat(64)},v0=${'f'.repeat(64)},v1=${v1}`;
  const request = { method: 'POST', url: new URL('https://h.example/'), headers: new Headers({ 'stripe-signature': header }), body };
  assert.deepEqual(stripe.verify(request, keysFor(stripe, ['whsec_current']), { toleranceSeconds: 300 }, now), { ok: true });
});

test('stripe: v0 and malformed items are ignored, a header without v1 is refused', () => {
  assert.equal(parseSignatureHeader('t=1,v0=abcd,v1=zz,garbage', STRIPE_SIGNATURE).signatures.length, 0);
  const request = {
    method: 'POST',
    url: new URL('https://h.example/'),
    headers: new Headers({ 'stripe-signature': `t=1763000000,v0=${'a'.repeat(64)}` }),
    body,
  };
  assert.deepEqual(stripe.verify(request, keysFor(stripe, ['whsec_current']), { toleranceSeconds: 300 }, 1_763_000_000), {
    ok: false,
    reason: 'Stripe-Signature has no v1 signature',
  });
});
