// Sentry has no Node library that verifies integration-platform webhooks: the suite signs with the documented scheme,
// written here independently of sentry.ts, `Sentry-Hook-Signature: <hex HMAC-SHA256 of the body>` under the client
// secret: https://docs.sentry.io/integrations/integration-platform/webhooks/. No published example signature was found.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { verifierSuite } from '../../../test/support/verifier-suite.ts';
import { webhookRequest } from '../../../test/support/webhook-request.ts';
import { sentry } from './sentry.ts';

const event = { action: 'created', installation: { uuid: '7a485448-a9e2-4c85-8a3c-4f44175783c9' }, data: { issue: { id: '1170820242' } } };
const body = Buffer.from(JSON.stringify(event));
const sign = (payload: Buffer, secret: string) => ({ 'sentry-hook-signature': createHmac('sha256', secret).update(payload).digest('hex') });

verifierSuite({
  provider: sentry,
  options: {},
  secrets: ['sentry-current', 'sentry-next'],
  body,
  signer: 'the documented scheme',
  sign,
  signatureHeader: 'sentry-hook-signature',
});

const request = (headers: Record<string, string>) => webhookRequest(headers, body);

test("sentry: the type is the resource header and the body's action, the id the Request-ID header", () => {
  const headers = { ...sign(body, 'sentry-current'), 'request-id': 'b3c2e9a4-3f0e-4a51', 'sentry-hook-resource': 'issue' };
  assert.deepEqual(
    sentry.describe(request(headers), () => event),
    { deliveryId: 'b3c2e9a4-3f0e-4a51', eventType: 'issue.created' },
  );
  assert.deepEqual(
    sentry.describe(request({ 'sentry-hook-resource': 'installation' }), () => ({})),
    {
      deliveryId: undefined,
      eventType: 'installation',
    },
  );
});

test('sentry: Sentry-Hook-Timestamp is not signed, so it is not what decides', () => {
  // Any value passes when the body's signature holds: refusing on it would protect nothing, as anyone can rewrite it.
  const headers = { ...sign(body, 'sentry-current'), 'sentry-hook-timestamp': '1' };
  assert.deepEqual(sentry.verify(request(headers), [Buffer.from('sentry-current')], {}, 1_763_000_000), { ok: true });
});
