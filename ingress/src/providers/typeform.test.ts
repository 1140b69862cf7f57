// Typeform has no Node library that signs or verifies webhooks: the suite signs with the documented scheme, written
// here independently of typeform.ts, `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`:
// https://www.typeform.com/developers/webhooks/secure-your-webhooks/. No published example signature was found.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { verifierSuite } from '../../../test/support/verifier-suite.ts';
import { webhookRequest } from '../../../test/support/webhook-request.ts';
import { typeform } from './typeform.ts';

const event = { event_id: '01HM3K8N2P9X4ABCDEFGHIJKLM', event_type: 'form_response', form_response: { form_id: 'lT4Z3j', answers: [] } };
const body = Buffer.from(JSON.stringify(event));
const documented = (payload: Buffer, secret: string) => `sha256=${createHmac('sha256', secret).update(payload).digest('base64')}`;

verifierSuite({
  provider: typeform,
  options: {},
  secrets: ['typeform-current', 'typeform-next'],
  body,
  signer: 'the documented scheme',
  sign: (payload, secret) => ({ 'typeform-signature': documented(payload, secret) }),
  signatureHeader: 'typeform-signature',
});

test('typeform: a hex digest is not the base64 Typeform sends; the id and type come from the body', () => {
  const hex = `sha256=${createHmac('sha256', 'typeform-current').update(body).digest('hex')}`;
  const request = webhookRequest({ 'typeform-signature': hex }, body);
  assert.equal(typeform.verify(request, [Buffer.from('typeform-current')], {}, 0).ok, false);
  assert.deepEqual(
    typeform.describe(request, () => event),
    { deliveryId: '01HM3K8N2P9X4ABCDEFGHIJKLM', eventType: 'form_response' },
  );
});
