import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Signature } from '@hubspot/api-client';
import { keysFor, verifierSuite } from '../../../test/support/verifier-suite.ts';
import { prepareSources } from '../ingest.ts';
import { hubspot, hubspotUri } from './hubspot.ts';
import { parseSources } from './index.ts';

const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const URL_GIVEN = 'https://hooks.example.com/webhooks/hubspot';
const OPTIONS = { toleranceSeconds: 300 };
const events = (attemptNumber = 0, objectId = 123) => [
  {
    eventId: 1,
    subscriptionId: 12345,
    portalId: 62515,
    occurredAt: 1564113600000,
    subscriptionType: 'contact.creation',
    attemptNumber,
    objectId,
  },
];
const body = Buffer.from(JSON.stringify(events()));

/** HubSpot's own signer: @hubspot/api-client's Signature.getSignature, v3 (method + URI + body + timestamp in ms). */
const librarySigned = (payload: Buffer, clientSecret: string, now: number, url: string) => {
  const timestamp = now * 1000;
  const options = { clientSecret, requestBody: payload.toString(), url, timestamp, signature: '' };
  return { 'x-hubspot-request-timestamp': String(timestamp), 'x-hubspot-signature-v3': Signature.getSignature('POST', 'v3', options) };
};

verifierSuite({
  provider: hubspot,
  options: OPTIONS,
  secrets: [SECRET, 'rotated-client-secret'],
  body,
  url: URL_GIVEN,
  signer: "@hubspot/api-client's Signature.getSignature (v3)",
  sign: (payload, secret, now, url) => librarySigned(payload, secret, now, url.toString()),
  signatureHeader: 'x-hubspot-signature-v3',
  toleranceSeconds: 300,
});

const request = (url: string, headers: Record<string, string>, payload = body) => ({
  method: 'POST',
  url: new URL(url),
  headers: new Headers(headers),
  body: payload,
});

test("hubspot: Signature.isValid (v3) accepts hookpipe's signature, on the library's own clock", () => {
  const now = Math.floor(Date.now() / 1000);
  const signed = hubspot.sign({ body, url: new URL(URL_GIVEN), now, id: 'd', contentType: 'application/json' }, SECRET, OPTIONS);
  const options = { requestBody: body.toString(), url: URL_GIVEN, method: 'POST', signatureVersion: 'v3', clientSecret: SECRET };
  const timestamp = Number(signed['x-hubspot-request-timestamp']);
  assert.equal(Signature.isValid({ ...options, timestamp, signature: signed['x-hubspot-signature-v3']! }), true);
  assert.equal(Signature.isValid({ ...options, timestamp, signature: signed['x-hubspot-signature-v3']!, clientSecret: 'other' }), false);
});

test('hubspot: the URI is signed with the characters HubSpot lists decoded, and no others', () => {
  const called = 'https://hooks.example.com/webhooks/hubspot?portal=62515%3Aeu%2F1&note=a%20b&who=%40me%21';
  assert.equal(hubspotUri(new URL(called)), 'https://hooks.example.com/webhooks/hubspot?portal=62515:eu/1&note=a%20b&who=@me!');
  // HubSpot signs the decoded URI (the library takes it as given, decoded by the caller as HubSpot's page says).
  const headers = librarySigned(body, SECRET, 1_763_000_000, hubspotUri(new URL(called)));
  assert.deepEqual(hubspot.verify(request(called, headers), keysFor(hubspot, [SECRET]), OPTIONS, 1_763_000_000), { ok: true });
  // Signed over the URL as it was encoded, or another URL: refused.
  const encoded = librarySigned(body, SECRET, 1_763_000_000, called);
  assert.deepEqual(hubspot.verify(request(called, encoded), keysFor(hubspot, [SECRET]), OPTIONS, 1_763_000_000), {
    ok: false,
    reason: 'signature mismatch',
  });
  const elsewhere = request(`${URL_GIVEN}-2`, librarySigned(body, SECRET, 1_763_000_000, URL_GIVEN));
  assert.equal(hubspot.verify(elsewhere, keysFor(hubspot, [SECRET]), OPTIONS, 1_763_000_000).ok, false);
});

test('hubspot: a missing or malformed X-HubSpot-Request-Timestamp is refused', () => {
  const headers = librarySigned(body, SECRET, 1_763_000_000, URL_GIVEN);
  for (const timestamp of [undefined, '', '1763000000000.5', '-1', 'now']) {
    const changed: Record<string, string> = { ...headers };
    if (timestamp === undefined) delete changed['x-hubspot-request-timestamp'];
    else changed['x-hubspot-request-timestamp'] = timestamp;
    assert.deepEqual(hubspot.verify(request(URL_GIVEN, changed), keysFor(hubspot, [SECRET]), OPTIONS, 1_763_000_000), {
      ok: false,
      reason: 'missing or malformed X-HubSpot-Request-Timestamp header',
    });
  }
});

test("hubspot: a batch keeps its id when retried (attemptNumber raised), another batch does not; its type is its events' type", () => {
  const describe = (value: unknown) => hubspot.describe(request(URL_GIVEN, {}), () => value);
  const first = describe(events(0));
  assert.equal(first.eventType, 'contact.creation');
  assert.match(first.deliveryId!, /^hubspot-[0-9a-f]{32}$/);
  assert.equal(describe(events(3)).deliveryId, first.deliveryId, 'a retry');
  // HubSpot says eventId is not guaranteed to be unique: the same eventId about another object is another batch.
  assert.notEqual(describe(events(0, 124)).deliveryId, first.deliveryId);
  const mixed = [...events(), { ...events()[0], subscriptionType: 'deal.creation' }];
  assert.equal(describe(mixed).eventType, 'mixed');
  assert.deepEqual(describe({ not: 'a batch' }), {});
});

test('hubspot: the URI is signed, so a source without a public URL stops the start-up outside the emulator', () => {
  const sources = parseSources({ sources: [{ name: 'hubspot', provider: 'hubspot', secrets: ['k'] }] });
  assert.throws(() => prepareSources(sources), /sources\[0\]\.options\.publicUrl: source "hubspot" \(hubspot\) is signed over the URL/);
  const own = parseSources({ sources: [{ name: 'hubspot', provider: 'hubspot', secrets: ['k'], options: { publicUrl: URL_GIVEN } }] });
  assert.equal(prepareSources(own).get('hubspot')!.publicUrl?.toString(), URL_GIVEN);
});
