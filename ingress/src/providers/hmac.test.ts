import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { keysFor, verifierSuite } from '../../../test/support/verifier-suite.ts';
import { genericHmac } from './hmac.ts';
import { parseTemplate } from './template.ts';

const options = {
  header: 'x-signature',
  algorithm: 'sha512' as const,
  encoding: 'base64' as const,
  prefix: 'sha512=',
  separator: ',',
  timestampHeader: 'x-timestamp',
  timestampUnit: 's' as const,
  toleranceSeconds: 120,
  signedContent: '{timestamp}:{header:x-request-id}:{body}',
};

verifierSuite({
  provider: genericHmac,
  options,
  secrets: ['generic-1', 'generic-2'],
  body: Buffer.from('{"id":"abc","type":"thing.happened"}'),
  signer: 'the configured scheme, computed independently',
  sign: (body, secret, now) => ({
    'x-timestamp': String(now),
    'x-request-id': 'req-9',
    'x-signature': `sha512=${createHmac('sha512', secret).update(`${now}:req-9:${body.toString()}`).digest('base64')}`,
  }),
  signatureHeader: 'x-signature',
  toleranceSeconds: 120,
});

test('hmac: templates split into literals and fields', () => {
  assert.deepEqual(parseTemplate('v0:{timestamp}:{body}'), [
    { literal: 'v0:' },
    { field: 'timestamp' },
    { literal: ':' },
    { field: 'body' },
  ]);
  assert.deepEqual(parseTemplate('{header:X-Id}.{body}'), [{ header: 'x-id' }, { literal: '.' }, { field: 'body' }]);
});

test('hmac: the plain default (hex of the body, no prefix) and several signatures in one header', () => {
  const plain = {
    ...options,
    algorithm: 'sha256' as const,
    encoding: 'hex' as const,
    prefix: '',
    timestampHeader: undefined,
    signedContent: '{body}',
  };
  const body = Buffer.from('hello');
  const good = createHmac('sha256', 'k').update(body).digest('hex');
  const request = {
    method: 'POST',
    url: new URL('https://h.example/'),
    headers: new Headers({ 'x-signature': `deadbeef, ${good}` }),
    body,
  };
  assert.deepEqual(genericHmac.verify(request, keysFor(genericHmac, ['k']), plain, 0), { ok: true });
});

test('hmac: millisecond timestamps are compared in seconds', () => {
  const ms = { ...options, timestampUnit: 'ms' as const, signedContent: '{timestamp}.{body}', separator: undefined };
  const now = 1_763_000_000;
  const body = Buffer.from('{}');
  const signature = createHmac('sha512', 'k')
    .update(`${now * 1000}.{}`)
    .digest('base64');
  const request = {
    method: 'POST',
    url: new URL('https://h.example/'),
    headers: new Headers({ 'x-timestamp': String(now * 1000), 'x-signature': `sha512=${signature}` }),
    body,
  };
  assert.deepEqual(genericHmac.verify(request, keysFor(genericHmac, ['k']), ms, now + 100), { ok: true });
  assert.equal(genericHmac.verify(request, keysFor(genericHmac, ['k']), ms, now + 121).ok, false);
});

test('hmac: bytes cannot move between a header and the body of a captured delivery', () => {
  const scheme = {
    ...options,
    timestampHeader: undefined,
    separator: undefined,
    prefix: '',
    signedContent: '{header:x-request-id}.{body}',
  };
  const mac = (content: string) => createHmac('sha512', 'k').update(content).digest('base64');
  const request = (id: string, body: string) => ({
    method: 'POST',
    url: new URL('https://h.example/'),
    // The provider signed request id `a` with body `b.{"x":1}`; moving `b.` into the header keeps the signed bytes.
    headers: new Headers({ 'x-request-id': id, 'x-signature': mac('a.b.{"x":1}') }),
    body: Buffer.from(body),
  });
  const keys = keysFor(genericHmac, ['k']);
  assert.equal(genericHmac.verify(request('a', 'b.{"x":1}'), keys, scheme, 0).ok, true, "the provider's delivery");
  const shifted = genericHmac.verify(request('a.b', '{"x":1}'), keys, scheme, 0);
  assert.equal(shifted.ok, false, 'a header holding its separator is refused, so no bytes move from the body into it');
  assert.match(String(!shifted.ok && shifted.reason), /x-request-id header holds the signed content's separator/);
});

test('hmac: a template where a header touches another field is refused at start-up', () => {
  const refused = (signedContent: string) => genericHmac.options({}).safeParse({ ...options, signedContent }).error?.message ?? '';
  assert.match(refused('{timestamp}:{header:x-request-id}{body}'), /\{header:x-request-id\} and \{body\} must be separated/);
  assert.match(refused('{timestamp}:{body}{header:x-b}'), /\{body\} and \{header:x-b\} must be separated/);
  assert.match(refused('{timestamp}.{body}.{body}'), /must contain \{body\} once/);
  assert.equal(refused('{timestamp}{body}'), '');
  assert.equal(refused('{timestamp}.{url}{body}'), '');
});
