import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keysFor } from '../../../test/support/verifier-suite.ts';
import { token } from './token.ts';

// A token does not cover the body, so "one byte changed" must still be accepted: this provider is tested by hand.
test('token: accepts the configured secret in the configured header, with rotation', () => {
  const options = { header: 'authorization', prefix: 'Bearer ' };
  const request = (value?: string) => ({
    method: 'POST',
    url: new URL('https://h.example/'),
    headers: new Headers(value === undefined ? {} : { authorization: value }),
    body: Buffer.from('{}'),
  });
  const keys = keysFor(token, ['old-token', 'new-token']);
  assert.deepEqual(token.verify(request('Bearer old-token'), keys, options, 0), { ok: true });
  assert.deepEqual(token.verify(request('Bearer new-token'), keys, options, 0), { ok: true });
  assert.deepEqual(token.verify(request('Bearer other'), keys, options, 0), { ok: false, reason: 'token mismatch' });
  assert.deepEqual(token.verify(request('old-token'), keys, options, 0), {
    ok: false,
    reason: 'authorization does not start with the expected prefix',
  });
  assert.deepEqual(token.verify(request(), keys, options, 0), { ok: false, reason: 'missing authorization header' });
  assert.deepEqual(token.verify(request('Bearer old-tokenX'), keys, options, 0).ok, false);
});

test("token: the Cloud Run guide's scheme, a `Secret` header, is the default", () => {
  const options = { header: 'secret', prefix: '' };
  const signed = token.sign(
    { body: Buffer.alloc(0), url: new URL('https://h.example/'), now: 0, id: '1', contentType: 'application/json' },
    's3cret',
    options,
  );
  assert.deepEqual(signed, { secret: 's3cret' });
  const request = { method: 'POST', url: new URL('https://h.example/'), headers: new Headers(signed), body: Buffer.alloc(0) };
  assert.deepEqual(token.verify(request, keysFor(token, ['s3cret']), options, 0), { ok: true });
});
