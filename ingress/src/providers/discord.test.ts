// Discord's webhook events and interaction PINGs, against Discord's own Node library (discord-interactions'
// verifyKey, which verifies and cannot sign): it accepts what hookpipe signs, and the two agree on every case it can
// judge. Through the ingress: PINGs are answered as Discord requires and never published; events are acknowledged
// with 204 once published.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { test } from 'node:test';
import { verifyKey } from 'discord-interactions';
import { ingressApp, NOW } from '../../../test/support/ingress-app.ts';
import { verifierSuite } from '../../../test/support/verifier-suite.ts';
import { discord } from './discord.ts';
import { bindProvider, parseSources } from './index.ts';

const SIGNATURE = 'x-signature-ed25519';
const TIMESTAMP = 'x-signature-timestamp';
const pem = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
const spkiOf = (privatePem: string) => createPublicKey(privatePem).export({ format: 'der', type: 'spki' });
/** The application's "Public Key" as the developer portal shows it: the raw 32 bytes, hex. */
const shown = (privatePem: string) => Buffer.from(createPublicKey(privatePem).export({ format: 'jwk' }).x!, 'base64url').toString('hex');
const [current, next] = [pem(generateKeyPairSync('ed25519').privateKey), pem(generateKeyPairSync('ed25519').privateKey)];

const eventBody = (user = '80351110224678912') =>
  Buffer.from(
    JSON.stringify({
      version: 1,
      application_id: '1234567890123456789',
      type: 1,
      event: { type: 'APPLICATION_AUTHORIZED', timestamp: '2025-11-13T02:13:20.000000+00:00', data: { user: { id: user } } },
    }),
  );

// Discord's scheme as documented, written independently: Ed25519 of timestamp + body, hex.
// https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers
const documented = (payload: Buffer, secret: string, now: number) => ({
  [TIMESTAMP]: String(now),
  [SIGNATURE]: sign(null, Buffer.concat([Buffer.from(String(now)), payload]), secret).toString('hex'),
});

verifierSuite({
  provider: discord,
  options: { toleranceSeconds: 600 },
  secrets: [current, next],
  verifyingKey: spkiOf,
  body: eventBody(),
  signer: "Discord's documented scheme (Node's crypto)",
  sign: documented,
  signatureHeader: SIGNATURE,
  toleranceSeconds: 600,
});

const source = (publicKey: string) => parseSources({ sources: [{ name: 'discord', provider: 'discord', publicKeys: [publicKey] }] })[0]!;

test("discord: the portal's hex key is read as the raw Ed25519 key it is", () => {
  assert.deepEqual(source(shown(current)).keys, [spkiOf(current)]);
});

test("discord: discord-interactions' verifyKey accepts hookpipe's signatures, and agrees with hookpipe on each case", async () => {
  const bound = bindProvider(source(shown(current)));
  const body = eventBody();
  const ours = discord.sign({ body, url: new URL('https://h.example/'), now: NOW, id: 'x', contentType: 'application/json' }, current, {
    toleranceSeconds: 600,
  });
  const tampered = Buffer.from(body);
  tampered[12]! ^= 0x01;
  const cases: Array<[string, Buffer, Record<string, string>, boolean]> = [
    ["hookpipe's signature", body, ours, true],
    ['one body byte changed', tampered, ours, false],
    ['another timestamp', body, { ...ours, [TIMESTAMP]: String(NOW + 1) }, false],
    ['another key', body, documented(body, next, NOW), false],
  ];
  for (const [label, payload, headers, expected] of cases) {
    assert.equal(await verifyKey(payload, headers[SIGNATURE]!, headers[TIMESTAMP]!, shown(current)), expected, `library, ${label}`);
    const request = { method: 'POST', url: new URL('https://h.example/'), headers: new Headers(headers), body: payload };
    assert.equal(bound.verify(request, NOW).ok, expected, `hookpipe, ${label}`);
  }
});

test('discord: webhook events are identified by their body (Discord sends no id; a retry is the same body), typed by event.type', () => {
  const request = (body: Buffer) => ({ method: 'POST', url: new URL('https://h.example/'), headers: new Headers(), body });
  const described = discord.describe(request(eventBody()), () => JSON.parse(eventBody().toString()));
  assert.match(described.deliveryId!, /^discord-[0-9a-f]{32}$/);
  assert.equal(described.eventType, 'APPLICATION_AUTHORIZED');
  assert.equal(discord.describe(request(eventBody()), () => JSON.parse(eventBody().toString())).deliveryId, described.deliveryId);
  assert.notEqual(discord.describe(request(eventBody('2')), () => JSON.parse(eventBody('2').toString())).deliveryId, described.deliveryId);
  const interaction = { id: '1180000000000000000', application_id: '1', type: 2, token: 'aW50ZXJhY3Rpb24', data: { name: 'hello' } };
  const interactionDescribed = discord.describe(request(Buffer.from('{}')), () => interaction);
  assert.deepEqual(interactionDescribed, { deliveryId: '1180000000000000000', eventType: 'APPLICATION_COMMAND' });
});

test('discord: PINGs are answered as Discord asks, webhook events with 204 and no body, interactions with PONG', () => {
  const challenge = (payload: unknown) => discord.challenge!(payload, undefined as never, [], { toleranceSeconds: 600 });
  assert.deepEqual(challenge({ version: 1, application_id: '1', type: 0 }), { status: 204, contentType: 'application/json', body: '' });
  assert.deepEqual(challenge({ id: '1', application_id: '1', type: 1, token: 't', version: 1 }), {
    status: 200,
    contentType: 'application/json',
    body: '{"type":1}',
  });
  assert.equal(challenge({ version: 1, application_id: '1', type: 1, event: { type: 'APPLICATION_AUTHORIZED' } }), undefined);
  assert.equal(challenge({ id: '1', application_id: '1', type: 2, token: 't' }), undefined);
});

test('discord, through the ingress: signed PINGs answered, never published; unsigned ones refused; events acknowledged', async () => {
  const { app, published } = ingressApp([source(shown(current))]);
  const post = (body: Buffer, headers: Record<string, string>) => {
    const init = { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: new Uint8Array(body) };
    return app.request('http://localhost/webhooks/discord', init);
  };
  const ping = Buffer.from('{"version":1,"application_id":"1234567890123456789","type":0}');
  const pong = await post(ping, documented(ping, current, NOW));
  assert.equal(pong.status, 204);
  assert.equal(await pong.text(), '');
  const interactionPing = Buffer.from('{"id":"1","application_id":"1","type":1,"token":"aW50ZXJhY3Rpb24","version":1}');
  const answered = await post(interactionPing, documented(interactionPing, current, NOW));
  assert.equal(answered.status, 200);
  assert.deepEqual(await answered.json(), { type: 1 });
  // Discord probes with bad signatures and removes an endpoint that answers them.
  assert.equal((await post(ping, documented(ping, next, NOW))).status, 401);
  assert.equal((await post(ping, { [TIMESTAMP]: String(NOW) })).status, 401);
  assert.equal(published.length, 0, 'no PING is published');

  const event = eventBody();
  const acknowledged = await post(event, documented(event, current, NOW));
  assert.equal(acknowledged.status, 204);
  assert.equal(published.length, 1);
  assert.equal(published[0]!.attributes.eventType, 'APPLICATION_AUTHORIZED');
  assert.match(published[0]!.attributes.deliveryId!, /^discord-[0-9a-f]{32}$/);
});

test('discord: the PING answers are constants, the same under any key and for any PING, so no answer is ever a signature', () => {
  const answers = new Set<string>();
  for (const key of [current, next]) {
    const bound = bindProvider(source(shown(key)));
    for (const ping of [
      { type: 0, application_id: '1' },
      { type: 0, application_id: '2', version: 1 },
    ]) {
      answers.add(JSON.stringify(bound.challenge!(ping, undefined as never)));
    }
  }
  assert.deepEqual([...answers], [JSON.stringify({ status: 204, contentType: 'application/json', body: '' })]);
});
