import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import { keysFor, verifierSuite } from '../../../test/support/verifier-suite.ts';
import { signedUrl } from '../ingest.ts';
import { twilio } from './twilio.ts';

// Twilio's documented scheme, written out independently: the URL, then every POST field sorted by name, each name
// followed by its value; base64 HMAC-SHA1 under the auth token.
function documented(url: string, fields: URLSearchParams, token: string): string {
  const names = [...fields.keys()].sort();
  const content = url + names.map((name) => name + fields.get(name)).join('');
  return createHmac('sha1', token).update(content, 'utf8').digest('base64');
}

const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const fields = new URLSearchParams({
  CallSid: 'CA1234567890ABCDE',
  Caller: '+12349013030',
  Digits: '1234',
  From: '+12349013030',
  To: '+18005551212',
});

verifierSuite({
  provider: twilio,
  options: {},
  secrets: ['12345', 'rotated-auth-token'],
  body: Buffer.from(fields.toString()),
  contentType: 'application/x-www-form-urlencoded',
  url,
  signer: "Twilio's documented scheme (URL + sorted form fields, HMAC-SHA1)",
  sign: (body, secret, _now, signedUrl) => ({
    'x-twilio-signature': documented(signedUrl.toString(), new URLSearchParams(body.toString()), secret),
  }),
  signatureHeader: 'x-twilio-signature',
});

const form = (requestUrl: string, signature: string, body = fields.toString()) => ({
  method: 'POST',
  url: new URL(requestUrl),
  headers: new Headers({ 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }),
  body: Buffer.from(body),
});

test('twilio: the signature covers the URL: posted to another URL it is refused, and the public URL restores it', () => {
  const signature = documented(url, fields, '12345');
  const internal = form('http://10.0.0.7:8080/myapp.php?foo=1&bar=2', signature);
  assert.equal(twilio.verify(internal, keysFor(twilio, ['12345']), {}, 0).ok, false);
  // What the ingress does with a source's `publicUrl`: that URL, with the request's query.
  const restored = signedUrl(new URL('https://mycompany.com/myapp.php'), internal.url);
  assert.equal(restored.toString(), url);
  assert.deepEqual(twilio.verify({ ...internal, url: restored }, keysFor(twilio, ['12345']), {}, 0), { ok: true });
});

test('twilio: a signature over the URL with its default port spelled out is accepted too', () => {
  const signature = documented('https://mycompany.com:443/myapp.php?foo=1&bar=2', fields, '12345');
  assert.deepEqual(twilio.verify(form(url, signature), keysFor(twilio, ['12345']), {}, 0), { ok: true });
});

test('twilio: JSON bodies are checked against bodySHA256 and the signature covers the URL alone', () => {
  const body = Buffer.from('{"event":"x"}');
  const jsonUrl = `https://mycompany.com/hook?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
  const signature = createHmac('sha1', '12345').update(jsonUrl).digest('base64');
  const request = {
    method: 'POST',
    url: new URL(jsonUrl),
    headers: new Headers({ 'content-type': 'application/json', 'x-twilio-signature': signature }),
    body,
  };
  assert.deepEqual(twilio.verify(request, keysFor(twilio, ['12345']), {}, 0), { ok: true });
  assert.deepEqual(twilio.verify({ ...request, body: Buffer.from('{"event":"y"}') }, keysFor(twilio, ['12345']), {}, 0), {
    ok: false,
    reason: 'body does not match bodySHA256',
  });
});
