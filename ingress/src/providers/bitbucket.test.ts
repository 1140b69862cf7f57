// Bitbucket Cloud has no Node library that signs or verifies webhooks: the suite signs with the documented scheme,
// written here independently of bitbucket.ts, `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>`:
// https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/ (Secure webhooks). No published example
// signature was found.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { verifierSuite } from '../../../test/support/verifier-suite.ts';
import { webhookRequest } from '../../../test/support/webhook-request.ts';
import { bitbucket } from './bitbucket.ts';

const body = Buffer.from(JSON.stringify({ push: { changes: [] }, repository: { full_name: 'octo-team/hello-world' } }));

verifierSuite({
  provider: bitbucket,
  options: {},
  secrets: ['bitbucket-current', 'bitbucket-next'],
  body,
  signer: 'the documented scheme',
  sign: (payload, secret) => ({ 'x-hub-signature': `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}` }),
  signatureHeader: 'x-hub-signature',
});

test("bitbucket: GitHub's SHA-1 form of the header is refused, and the ids come from Bitbucket's headers", () => {
  const sha1 = `sha1=${createHmac('sha1', 'bitbucket-current').update(body).digest('hex')}`;
  const request = webhookRequest({ 'x-hub-signature': sha1, 'x-request-uuid': 'b7a4d5f1-0d2e-4c39', 'x-event-key': 'repo:push' }, body);
  assert.equal(bitbucket.verify(request, [Buffer.from('bitbucket-current')], {}, 0).ok, false);
  assert.deepEqual(
    bitbucket.describe(request, () => JSON.parse(body.toString())),
    {
      deliveryId: 'b7a4d5f1-0d2e-4c39',
      eventType: 'repo:push',
    },
  );
});
