// Mailgun signs inside the body, so the shared verifier suite (a signature header) does not fit; the same cases are
// written here. No Mailgun library is installed: requests are signed by the documented scheme, written out
// independently: hex HMAC-SHA256(webhook signing key, timestamp + token).
// https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { ingressApp, NOW } from '../../../test/support/ingress-app.ts';
import { keysFor } from '../../../test/support/verifier-suite.ts';
import { parseSources } from './index.ts';
import { mailgun } from './mailgun.ts';

const KEY = 'key-mailgun-signing-key';
const TOKEN = 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0';
const documented = (key: string, timestamp: string, token = TOKEN) =>
  createHmac('sha256', key)
    .update(timestamp + token)
    .digest('hex');
const eventData = { event: 'delivered', timestamp: 1763000000.329574, id: 'DACSsAdVSeGpLid7TN03WA', recipient: 'alice@example.com' };
const jsonBody = (signature: Record<string, string>, data: object = eventData) => JSON.stringify({ signature, 'event-data': data });
const signedJson = (key = KEY, now = NOW) => jsonBody({ timestamp: String(now), token: TOKEN, signature: documented(key, String(now)) });

const FORM = 'application/x-www-form-urlencoded';
const OPTIONS = { toleranceSeconds: 300 };
const verify = (body: string, contentType = 'application/json', keys = [KEY], now = NOW) =>
  mailgun.verify(
    { method: 'POST', url: new URL('https://h.example/'), headers: new Headers({ 'content-type': contentType }), body: Buffer.from(body) },
    keysFor(mailgun, keys),
    OPTIONS,
    now,
  );

test('mailgun: a JSON webhook signed by the documented scheme is accepted; under another key, refused; with two keys, either', () => {
  assert.deepEqual(verify(signedJson()), { ok: true });
  assert.deepEqual(verify(signedJson('another-key')), { ok: false, reason: 'signature mismatch' });
  for (const key of [KEY, 'rotated-key']) assert.deepEqual(verify(signedJson(key), 'application/json', [KEY, 'rotated-key']), { ok: true });
});

test("mailgun: a subaccount's parent-signature is accepted under the primary account's key", () => {
  const timestamp = String(NOW);
  const signatures = { signature: documented('subaccount-key', timestamp), 'parent-signature': documented(KEY, timestamp) };
  const body = jsonBody({ timestamp, token: TOKEN, ...signatures });
  assert.deepEqual(verify(body), { ok: true });
  assert.deepEqual(verify(body, 'application/json', ['subaccount-key']), { ok: true });
  assert.equal(verify(body, 'application/json', ['neither']).ok, false);
});

test('mailgun: one byte changed in what is signed (timestamp, token, signature) is refused', () => {
  const timestamp = String(NOW);
  const signature = documented(KEY, timestamp);
  const flip = (text: string) => text.slice(0, -1) + (text.endsWith('0') ? '1' : '0');
  assert.equal(verify(jsonBody({ timestamp, token: flip(TOKEN), signature })).ok, false);
  assert.equal(verify(jsonBody({ timestamp: String(NOW - 1), token: TOKEN, signature })).ok, false);
  assert.equal(verify(jsonBody({ timestamp, token: TOKEN, signature: flip(signature) })).ok, false);
});

test('mailgun: the event itself is not signed (Mailgun signs timestamp and token only): the ledger dedupes by event id', () => {
  // Recorded so that nobody mistakes the signature for more than it is; mailgun.ts says what covers the gap.
  const timestamp = String(NOW);
  const signature = { timestamp, token: TOKEN, signature: documented(KEY, timestamp) };
  assert.deepEqual(verify(jsonBody(signature, { ...eventData, event: 'failed' })), { ok: true });
});

test('mailgun: a timestamp outside the tolerance is refused either way, one at its edge accepted', () => {
  for (const skew of [301, -301]) {
    assert.deepEqual(verify(signedJson(KEY, NOW - skew)), { ok: false, reason: 'timestamp outside the tolerance' }, `skew ${skew}`);
  }
  assert.deepEqual(verify(signedJson(KEY, NOW - 300)), { ok: true });
});

test('mailgun: a body without the signature fields, or not JSON, is refused', () => {
  for (const body of [JSON.stringify({ 'event-data': eventData }), jsonBody({ timestamp: String(NOW), token: TOKEN }), 'not json', '[]']) {
    assert.equal(verify(body).ok, false, body);
    assert.match((verify(body) as { reason: string }).reason, /missing/);
  }
  assert.deepEqual(verify(jsonBody({ timestamp: 'yesterday', token: TOKEN, signature: 'ab' })), {
    ok: false,
    reason: 'missing or malformed Mailgun signature timestamp',
  });
});

test('mailgun: legacy form posts carry timestamp, token and signature as fields; their token is their delivery id', () => {
  const fields = new URLSearchParams({ event: 'opened', recipient: 'alice@example.com', timestamp: String(NOW), token: TOKEN });
  fields.set('signature', documented(KEY, String(NOW)));
  assert.deepEqual(verify(fields.toString(), FORM), { ok: true });
  fields.set('signature', documented('another-key', String(NOW)));
  assert.equal(verify(fields.toString(), FORM).ok, false);
  const headers = new Headers({ 'content-type': FORM });
  const request = { method: 'POST', url: new URL('https://h.example/'), headers, body: Buffer.from(fields.toString()) };
  assert.deepEqual(
    mailgun.describe(request, () => undefined),
    { deliveryId: TOKEN, eventType: 'opened' },
  );
});

test("mailgun: hookpipe's sealer signs the sample (JSON) and a form as Mailgun does, and `hookpipe send` gets a 202", async () => {
  const sample = mailgun.sample(NOW);
  const input = { body: sample.body, url: new URL('https://h.example/'), now: NOW, id: 'x', contentType: sample.contentType };
  const sealed = mailgun.seal!(input, KEY, OPTIONS);
  assert.deepEqual(verify(sealed.toString()), { ok: true });
  const { signature } = JSON.parse(sealed.toString()) as { signature: { timestamp: string; token: string; signature: string } };
  assert.equal(signature.signature, documented(KEY, signature.timestamp, signature.token));
  // Sealing again (a --resend) gives a fresh signature over the same event.
  const resealed = mailgun.seal!({ ...input, body: sealed, now: NOW + 60 }, KEY, OPTIONS);
  assert.deepEqual(verify(resealed.toString(), 'application/json', [KEY], NOW + 60), { ok: true });
  const form = mailgun.seal!({ ...input, body: Buffer.from('event=opened'), contentType: FORM }, KEY, OPTIONS);
  assert.deepEqual(verify(form.toString(), FORM), { ok: true });

  const { app, published } = ingressApp(parseSources({ sources: [{ name: 'mailgun', provider: 'mailgun', secrets: [KEY] }] }));
  const headers = { 'content-type': 'application/json' };
  const response = await app.request('/webhooks/mailgun', { method: 'POST', body: sealed.toString(), headers });
  assert.equal(response.status, 202);
  const sent = JSON.parse(sample.body.toString()) as { 'event-data': { id: string } };
  assert.deepEqual([published[0]!.attributes.deliveryId, published[0]!.attributes.eventType], [sent['event-data'].id, 'delivered']);
});
