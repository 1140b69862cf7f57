// Vercel has no Node library that verifies webhooks: the suite signs with the documented scheme, written here
// independently of vercel.ts, `x-vercel-signature: <hex HMAC-SHA1 of the body>`:
// https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks. No published example signature was found.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { verifierSuite } from '../../../test/support/verifier-suite.ts';
import { webhookRequest } from '../../../test/support/webhook-request.ts';
import { vercel } from './vercel.ts';

const event = { id: 'evt_4ktD3dvBqxZ0kSQ9JQ8PHCBb', type: 'deployment.succeeded', createdAt: 1763000000000, payload: {} };
const body = Buffer.from(JSON.stringify(event));

verifierSuite({
  provider: vercel,
  options: {},
  secrets: ['vercel-current', 'vercel-next'],
  body,
  signer: 'the documented scheme',
  sign: (payload, secret) => ({ 'x-vercel-signature': createHmac('sha1', secret).update(payload).digest('hex') }),
  signatureHeader: 'x-vercel-signature',
});

test('vercel: an HMAC-SHA256 of the body is not what Vercel sends; the id and type come from the body', () => {
  const sha256 = createHmac('sha256', 'vercel-current').update(body).digest('hex');
  const request = webhookRequest({ 'x-vercel-signature': sha256 }, body);
  assert.equal(vercel.verify(request, [Buffer.from('vercel-current')], {}, 0).ok, false);
  assert.deepEqual(
    vercel.describe(request, () => event),
    { deliveryId: event.id, eventType: 'deployment.succeeded' },
  );
});
