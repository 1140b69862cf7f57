import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { verifierSuite } from '../../../test/support/verifier-suite.ts';
import { meta } from './meta.ts';

verifierSuite({
  provider: meta,
  options: { verifyToken: 'my-verify-token' },
  secrets: ['meta-app-secret', 'meta-app-secret-2'],
  body: Buffer.from(
    JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: {} }] }] }),
  ),
  signer: "Meta's documented scheme (X-Hub-Signature-256)",
  sign: (body, secret) => ({ 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` }),
  signatureHeader: 'x-hub-signature-256',
});

const get = (query: string) => ({
  method: 'GET',
  url: new URL(`https://h.example/webhooks/wa?${query}`),
  headers: new Headers(),
  body: Buffer.alloc(0),
});

test('meta: the subscribe handshake echoes the challenge only for the right verify token', () => {
  const options = { verifyToken: 'my-verify-token' };
  assert.deepEqual(meta.handshake!(get('hub.mode=subscribe&hub.verify_token=my-verify-token&hub.challenge=1158201444'), [], options), {
    status: 200,
    contentType: 'text/plain; charset=utf-8',
    body: '1158201444',
  });
  const refused = meta.handshake!(get('hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444'), [], options)!;
  assert.equal(refused.status, 403);
  assert.doesNotMatch(refused.body, /my-verify-token|1158201444/);
  assert.equal(meta.handshake!(get('hub.mode=subscribe&hub.verify_token=x&hub.challenge=1'), [], {})!.status, 403, 'no token configured');
  assert.equal(meta.handshake!(get('other=1'), [], options), undefined, 'not a handshake');
});
