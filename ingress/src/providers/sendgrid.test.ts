// SendGrid's signed Event Webhook, against SendGrid's own Node library (@sendgrid/eventwebhook, which verifies and
// cannot sign): what hookpipe signs the library accepts, and on every case the library can judge (good, tampered,
// another key, another timestamp) the two agree. SendGrid's published examples are accepted as they stand.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { test } from 'node:test';
import eventwebhook from '@sendgrid/eventwebhook';
import { verifierSuite } from '../../../test/support/verifier-suite.ts';
import { bindProvider, parseSources } from './index.ts';
import { batchId, sendgrid } from './sendgrid.ts';

const SIGNATURE = 'x-twilio-email-event-webhook-signature';
const TIMESTAMP = 'x-twilio-email-event-webhook-timestamp';
const NOW = 1_763_000_000;
const pem = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
const spkiOf = (privatePem: string) => createPublicKey(privatePem).export({ format: 'der', type: 'spki' });
/** The "verification key" as SendGrid shows it: base64 of the DER public key, no PEM armour. */
const shown = (privatePem: string) => spkiOf(privatePem).toString('base64');
const [current, next] = [generateKeyPairSync('ec', { namedCurve: 'P-256' }), generateKeyPairSync('ec', { namedCurve: 'P-256' })];

const events = [
  { email: 'a@example.com', event: 'processed', sg_event_id: 'cHJvY2Vzc2VkLTE', sg_message_id: 'm1', timestamp: NOW - 2 },
  { email: 'a@example.com', event: 'delivered', sg_event_id: 'ZGVsaXZlcmVkLTE', sg_message_id: 'm1', timestamp: NOW },
];
const body = Buffer.from(`${JSON.stringify(events)}\r\n`);

// SendGrid's scheme as documented, written independently: ECDSA P-256 / SHA-256 of timestamp + body, base64 DER.
// https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features
const documented = (payload: Buffer, secret: string, now: number) => ({
  [TIMESTAMP]: String(now),
  [SIGNATURE]: sign('sha256', Buffer.concat([Buffer.from(String(now)), payload]), secret).toString('base64'),
});

verifierSuite({
  provider: sendgrid,
  options: { toleranceSeconds: 300 },
  secrets: [pem(current.privateKey), pem(next.privateKey)],
  verifyingKey: spkiOf,
  body,
  signer: "SendGrid's documented scheme (Node's crypto)",
  sign: documented,
  signatureHeader: SIGNATURE,
  toleranceSeconds: 300,
});

/** The source as configured from SendGrid's dashboard: its verification key, and ours to sign with. */
function configured(verificationKey: string, signingKey?: string) {
  const [source] = parseSources({ sources: [{ name: 'sendgrid', provider: 'sendgrid', publicKeys: [verificationKey], signingKey }] });
  return bindProvider(source!);
}
const post = (headers: Record<string, string>, payload: Buffer) => ({
  method: 'POST',
  url: new URL('https://hooks.example.com/webhooks/sendgrid'),
  headers: new Headers(headers),
  body: payload,
});
const library = (verificationKey: string, payload: Buffer, headers: Record<string, string>) => {
  const webhook = new eventwebhook.EventWebhook();
  return webhook.verifySignature(webhook.convertPublicKeyToECDSA(verificationKey), payload, headers[SIGNATURE]!, headers[TIMESTAMP]!);
};

test("sendgrid: @sendgrid/eventwebhook accepts hookpipe's signatures, and agrees with hookpipe on every case it can judge", () => {
  const key = shown(pem(current.privateKey));
  const source = configured(key, pem(current.privateKey));
  const ours = source.sign({ body, url: new URL('https://h.example/'), now: NOW, id: 'x', contentType: 'application/json' });
  const tampered = Buffer.from(body);
  tampered[10]! ^= 0x01;
  const cases: Array<[string, Buffer, Record<string, string>, boolean]> = [
    ["hookpipe's signature", body, ours, true],
    ['the documented scheme', body, documented(body, pem(current.privateKey), NOW), true],
    ['one body byte changed', tampered, ours, false],
    ['another timestamp', body, { ...ours, [TIMESTAMP]: String(NOW + 1) }, false],
    ['another key', body, documented(body, pem(next.privateKey), NOW), false],
  ];
  for (const [label, payload, headers, expected] of cases) {
    assert.equal(library(key, payload, headers), expected, `library, ${label}`);
    assert.equal(source.verify(post(headers, payload), NOW).ok, expected, `hookpipe, ${label}`);
  }
});

// SendGrid's own examples: a verification key, a timestamp, a body and the signature SendGrid made, as published in
// the library's test suite (values only).
// https://github.com/sendgrid/sendgrid-nodejs/blob/main/packages/eventwebhook/src/eventwebhook.spec.js
const PUBLISHED = {
  key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==',
  signature: 'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=',
  timestamp: 1600112502,
  body:
    '[{"email":"hello@world.com","event":"dropped","reason":"Bounced Address",' +
    '"sg_event_id":"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",' +
    '"sg_message_id":"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",' +
    '"smtp-id":"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","timestamp":1600112492}]\r\n',
};
const PUBLISHED_MULTIPLE = {
  key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQ4LIFtWztlsF7skFqOncjD1lun4H5w8XOhyOArHW9RcIx/FfEzx6cikC/yPfUvwaX/JScE7Fc9CJD2afQ9Ok3Q==',
  signature: 'MEYCIQC/I4o6vCgqRYrTljjoVWB/GRWNtxeePlLMHr3x9ETeRQIhAIpV+03nREPTTHWSW0wIOA0EoMPdcNgXa70yCaqDJlu5',
  timestamp: 1619651159,
  body:
    '[{"email":"invalid@gmail.com","event":"processed","send_at":0,' +
    '"sg_event_id":"cHJvY2Vzc2VkLTE5OTQyMTEyLXFOd0JMZ1BRUWpXNkRKdktRd1NBYnctMA",' +
    '"sg_message_id":"qNwBLgPQQjW6DJvKQwSAbw.filterdrecv-canary-547b64655b-cw6zx-1-6089EA4A-56.0",' +
    '"smtp-id":"<qNwBLgPQQjW6DJvKQwSAbw@ismtpd0178p1mdw1.sendgrid.net>","timestamp":1619651146},\r\n' +
    '{"email":"invalid@gmail.com","event":"bounce","ip":"167.89.101.76","reason":"552 5.2.2 The email account that you tried to ' +
    'reach is over quota and inactive. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaPerm ' +
    'c17si1130468pgv.34 - gsmtp","sg_event_id":"Ym91bmNlLTAtMTk5NDIxMTItcU53QkxnUFFRalc2REp2S1F3U0Fidy0w",' +
    '"sg_message_id":"qNwBLgPQQjW6DJvKQwSAbw.filterdrecv-canary-547b64655b-cw6zx-1-6089EA4A-56.0",' +
    '"smtp-id":"<qNwBLgPQQjW6DJvKQwSAbw@ismtpd0178p1mdw1.sendgrid.net>","status":"5.2.2","timestamp":1619651147,' +
    '"tls":1,"type":"blocked"}]\r\n',
};

test("sendgrid: SendGrid's published signatures are accepted (one event, and two), and refused with a byte changed", () => {
  for (const example of [PUBLISHED, PUBLISHED_MULTIPLE]) {
    const payload = Buffer.from(example.body);
    const headers = { [SIGNATURE]: example.signature, [TIMESTAMP]: String(example.timestamp) };
    assert.equal(library(example.key, payload, headers), true, 'the values are the library test suite’s own');
    assert.deepEqual(configured(example.key).verify(post(headers, payload), example.timestamp), { ok: true });
    const tampered = Buffer.from(payload);
    tampered[20]! ^= 0x01;
    const refused = configured(example.key).verify(post(headers, tampered), example.timestamp);
    assert.deepEqual(refused, { ok: false, reason: 'signature mismatch' });
  }
  // The published signature under the other published key: refused, by both.
  const headers = { [SIGNATURE]: PUBLISHED.signature, [TIMESTAMP]: String(PUBLISHED.timestamp) };
  assert.equal(library(PUBLISHED_MULTIPLE.key, Buffer.from(PUBLISHED.body), headers), false);
  assert.equal(configured(PUBLISHED_MULTIPLE.key).verify(post(headers, Buffer.from(PUBLISHED.body)), PUBLISHED.timestamp).ok, false);
});

test('sendgrid: a batch is typed "batch" and identified by its events: one event by its sg_event_id, several by their ids', () => {
  const request = post({}, body);
  assert.deepEqual(
    sendgrid.describe(request, () => events),
    { deliveryId: batchId(events), eventType: 'batch' },
  );
  assert.equal(batchId([events[0]]), 'cHJvY2Vzc2VkLTE');
  const id = batchId(events);
  assert.match(id!, /^sg-batch-[0-9a-f]{32}$/);
  assert.equal(batchId([...events].reverse()), id, 'the same batch in another order is the same delivery');
  assert.notEqual(batchId([events[0], { ...events[1], sg_event_id: 'b3Blbi0x' }]), id);
  assert.equal(batchId([events[0], { event: 'open' }]), undefined, 'an event without an id: the ingress makes one');
  assert.equal(batchId({ sg_event_id: 'x' }), undefined);
  assert.equal(batchId([]), undefined);
});
