// AWS SNS, the provider alone: the canonical string against Amazon's published messages and against sns-validator,
// the checks verify makes with a key in hand, and the rules locateKeys applies before anything is fetched. The
// certificate fetch and chain, and the whole flow through the ingress, are in ../outbound.test.ts.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import https from 'node:https';
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { SNS_CERT_URL, SNS_TOPIC, type SnsFields, signedSnsMessage, snsConfirmation } from '../../../test/support/sns.ts';
import { keysFor } from '../../../test/support/verifier-suite.ts';
import { awsSns, canonicalString, certificateUrl, type SnsMessage, subscribeUrl } from './aws-sns.ts';
import type { KeyPlan, WebhookRequest } from './types.ts';

const TOPIC = SNS_TOPIC;
const OPTIONS = { topicArns: [TOPIC], toleranceSeconds: 3900, signatureVersions: ['1', '2'] as Array<'1' | '2'> };
const NOW = 1_763_000_000;
const CERT_URL = SNS_CERT_URL;
const OFF_HOSTS = "SigningCertURL is not a certificate on Amazon's SNS hosts";

const keyPair = () => {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  return { privateKey: pair.privateKey, spki: pair.publicKey.export({ type: 'spki', format: 'der' }), pem };
};
const amazon = keyPair();
const other = keyPair();

const signed = (fields: SnsFields, key: KeyObject = amazon.privateKey, version = '2') => signedSnsMessage(fields, key, NOW, version);
const confirmation = (type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation') => snsConfirmation(type, amazon.privateKey, NOW);

const request = (message: unknown): WebhookRequest => ({
  method: 'POST',
  url: new URL('https://hooks.example.com/webhooks/sns'),
  headers: new Headers({ 'content-type': 'text/plain; charset=UTF-8' }),
  body: Buffer.from(typeof message === 'string' ? message : JSON.stringify(message)),
});
const verify = (message: unknown, keys: Buffer[] = [amazon.spki], now = NOW, options = OPTIONS) =>
  awsSns.verify(request(message), keys, options, now);
const locate = (message: unknown, local = false, options = OPTIONS): KeyPlan =>
  awsSns.locateKeys!(request(message), keysFor(awsSns, ['stand-in-secret']), options, NOW, local);

// Amazon's own PHP validator checks these real messages (us-east-2, July 2022) against the real signing certificate
// of the time, both kept in its tests; only the values are taken. The certificate expired in August 2022: its chain
// and dates are the ingress's business (outbound.ts), here it is the key the signatures are checked with.
// https://github.com/aws/aws-php-sns-message-validator/blob/HEAD/tests/FunctionalValidationsTest.php
const PHP_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIF1zCCBL+gAwIBAgIQB9pYWG3Mi7xej22g9pobJTANBgkqhkiG9w0BAQsFADBG
MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRUwEwYDVQQLEwxTZXJ2ZXIg
Q0EgMUIxDzANBgNVBAMTBkFtYXpvbjAeFw0yMTA5MDcwMDAwMDBaFw0yMjA4MTcy
MzU5NTlaMBwxGjAYBgNVBAMTEXNucy5hbWF6b25hd3MuY29tMIIBIjANBgkqhkiG
9w0BAQEFAAOCAQ8AMIIBCgKCAQEAutFqueT3XgP13udzxE6UpbdjOtVO5DwoMpSM
iDNMnGzF1TYH5/R2LPUOBeTB0SkKnR4kpNcUZhicpGD4aKciz/GEZ6wu65xncfT9
H/KBOQwoXYTuClHwp6fYpGzcGFaFoEYMnijL/o4qmTSd+ukglQUgKpsDw4ofw6rU
m2CttJo+GQSNQ9NfGR1h/0J+zsApkeSYrXRx5wNlu87z8os1C/6PBrUHwt3xXeaf
Xzfwut8aRRYsS8BySOA9DAgLfNHlfdQCjKPXKrG/ussgReyWD6n/HH+j7Uha3xos
TzQqJifcxlTq6MxWdPR6fDaJNvqw6DOE7UjUNxHguXHlVfxhlQIDAQABo4IC6TCC
AuUwHwYDVR0jBBgwFoAUWaRmBlKge5WSPKOUByeWdFv5PdAwHQYDVR0OBBYEFAqz
C+vyouneE7mWWLbi9i0UsWUbMBwGA1UdEQQVMBOCEXNucy5hbWF6b25hd3MuY29t
MA4GA1UdDwEB/wQEAwIFoDAdBgNVHSUEFjAUBggrBgEFBQcDAQYIKwYBBQUHAwIw
OwYDVR0fBDQwMjAwoC6gLIYqaHR0cDovL2NybC5zY2ExYi5hbWF6b250cnVzdC5j
b20vc2NhMWIuY3JsMBMGA1UdIAQMMAowCAYGZ4EMAQIBMHUGCCsGAQUFBwEBBGkw
ZzAtBggrBgEFBQcwAYYhaHR0cDovL29jc3Auc2NhMWIuYW1hem9udHJ1c3QuY29t
MDYGCCsGAQUFBzAChipodHRwOi8vY3J0LnNjYTFiLmFtYXpvbnRydXN0LmNvbS9z
Y2ExYi5jcnQwDAYDVR0TAQH/BAIwADCCAX0GCisGAQQB1nkCBAIEggFtBIIBaQFn
AHYAKXm+8J45OSHwVnOfY6V35b5XfZxgCvj5TV0mXCVdx4QAAAF7vfDVkQAABAMA
RzBFAiEA2XfHuy36aqRFiaL8c3md2mH451go8707+fRE0pEdSRACIE/g5FXTUXUZ
PFcmOhm9TZ+uMY1i4CIQ/CKVWln6C3t+AHYAUaOw9f0BeZxWbbg3eI8MpHrMGyfL
956IQpoN/tSLBeUAAAF7vfDVjAAABAMARzBFAiBF1MhhFP0+FQt3daDFfMYoWwnr
muTInrjNpwfzlvQBugIhAPYadFzr+LaxSJoiZEbEHBvTts7bT0M3eCQONA2O7w6n
AHUAQcjKsd8iRkoQxqE6CUKHXk4xixsD6+tLx2jwkGKWBvYAAAF7vfDVdAAABAMA
RjBEAiAtPapmFAuA71ih4NoSd5hJelzAltNQpxDMcDfDyHyU8gIgWxmaa6+2KbBu
9xdv379zvnJACFR7jc+4asl08Dn4aagwDQYJKoZIhvcNAQELBQADggEBAA54QX0u
oFWXfMmv02CGZv4NWo5TapyeeixQ2kKpZHRdVZjxZrw+hoF6HD7P3kGjH8ztyJll
tDxB0qgMltbPhQdScwhA6iTgoaBYqEUC/VHKd4PmmPT6yIsM36NBZVmkGlzl5uNo
/dBgBaG0SsVJnhr5zro3c2quC7n6fVGEZhf/UgQwRnnvThnvbNKguglDMq4uEqv8
njKyleht+glkcmXO0m9qLKt6BOS0amy6U2GlAwRn0Wx02ndJtnRCSC6kPuRWK/SQ
FEjB7gCK4hdKaAOuWdZpI55vF6ifOeM8toC3g7ofO8qLTnJupAG+ZitY5J3cvHWr
HqOUdKigPDHYLRo=
-----END CERTIFICATE-----`;
const PHP_TOPIC = 'arn:aws:sns:us-east-2:295079676684:publish-and-verify-';
const PHP_CERT_URL = 'https://sns.us-east-2.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem';
const PHP_MESSAGES = [
  {
    MessageId: '792cda85-518f-5dd3-9163-81d851212f3a',
    TopicArn: `${PHP_TOPIC}892f85fe-4836-424d-8188-ab85bef0f362`,
    Timestamp: '2022-07-28T21:23:58.317Z',
    SignatureVersion: '1',
    Signature:
      'ghtf+deOBAzHJJZ6s6CdRLfTQAlcGzq9naoFM1wi0CJiq//uVRuZnamrkWNF0fhouMFvuLVRwcz8PZLUMSfnmd5VpdTKpTyiKmy1qJAZXma0w+yi7G+I' +
      '33hD1Jyk1Nbym2n0kqp3fVu2aoooiN2ZeLAT2bH0/BtjLSfN1yAOKNoprco4qV9gGUZinXJdj9a1YdNhDR2jKi33ldlsVtEXAtiaDklGEk7DgRKX38Ge' +
      'rBPiLg3FdtgY6KC7cdeGpU/dGK+4hjc83Ive1HoFkAwqhpgInM2sMytBosoiXfCmOKmU4xeGD0gHDNZTlJUJQDlzw8Eag0H9f/5zXF9d3uy0YQ==',
  },
  {
    MessageId: '17dea24b-55c2-540b-8362-f916557af765',
    TopicArn: `${PHP_TOPIC}62674b1d-4295-426b-88e7-5fb75652a04e`,
    Timestamp: '2022-07-28T21:24:08.324Z',
    SignatureVersion: '2',
    Signature:
      'CXVqp9PfZAL+4JHS3Zxo1PFbQsvnOjvmYhtIf17TWpwc+iIVas8kZ8GopuzVzVMdatE7rCl/O4P91Zp05Dwz8lk8dLhfp8gSu3Njlzxlyrmzo9x3va3J' +
      'b7zFnedgS2GKnZWHGBdwTXho+TosNUE+3e10OMSlwN5XGDwX7+R3WL+rn+AXmFAqp3alg27sYa55h1dLE9cGszGPjScPdtF3BmZsUDMx9wSdNKsCk+vS' +
      'vE8yBjnCmUl7laSFj3LzPVrlSwgNYCF3kYnNAkah7NplK4SFhJYLwS0HCVCQJKa8rVbQLf9cBTu60U402mrgy0bN8xWoyimzbYbrOMJjalqkUg==',
  },
  {
    MessageId: '11405cc3-9ac7-56d5-b45d-079e8f7a8edf',
    TopicArn: `${PHP_TOPIC}6e11fed2-fcdf-4c52-9dc4-36ef43f37f84`,
    Subject: 'Hello world',
    Timestamp: '2022-07-28T22:53:49.654Z',
    SignatureVersion: '1',
    Signature:
      'AItkS26d8yvnIKJevdirIPW7eM/yKbZy3/CF2EreCHmXWB3etWaV5Fb7SYpGABMpugpDZzNyGY1wCVWaopDoQ+7Q/kI2TpDu8bw1eExbi8U3kduvc/2m' +
      '2fIrI4gDEY8/v3nzoLcr8pPodqMzrX6SzQou4klfaqbNK+rFmH0LVf2Q1VyOROODoSXmo4jg2Yu12jfxccBl96Drr/ihq4MJ4OcrWh6UzXXlVYjJHx2U' +
      'i4anNwNEb+Z4C2CAF1DjQUbhDtaoajDBPY+4d9C1OwbqwQpXsd6tyVcI9nFyEsVK8lfnAV+/3GZQcdXHbIUYBRGcBa4X5TlWJku5nDH2ERtHHw==',
  },
  {
    MessageId: '4504e649-d933-5aa9-8199-bd14ccf05f0b',
    TopicArn: `${PHP_TOPIC}530b26da-0687-4fe4-9f71-780bad3181e2`,
    Subject: 'Hello world',
    Timestamp: '2022-07-28T22:53:55.086Z',
    SignatureVersion: '2',
    Signature:
      'cETcSvmmkt+My05qCLKexyl0+RyG83mSryKPqTfS+tYcxDJWVcjPJAr+qdpElzVaBl1aTGYVWMY64i9JqZ/JES8pylNj8LGvdhuNQKO59/WCoIimZAsN' +
      'hn0xEgOeeDU+W/0BU4sdpCGMNjo0S/FuIiWaRe4E0YWRVrxeQevaQ70euDdfWgd5v1eCKQz8b367b9XBmMztL/CWUFI6YaKK/MV21eyvJe3Y7CtVYiOK' +
      'EYiAZnAEkynK7gUGO5TsgDjGNYhj6U3xYsWgI03bmioSl7kdFSUj+AZ7ugas5fghqxgoDsdfqsjMYKRm5KKHQWsgzI619yIzpNKUiSMHxdZXpQ==',
  },
].map((fields) => ({ Type: 'Notification', Message: 'Hello world', SigningCertURL: PHP_CERT_URL, ...fields }));

test("aws-sns: Amazon's published messages (v1, v2, with and without Subject) verify under their certificate, changed ones do not", () => {
  const key = new X509Certificate(PHP_CERTIFICATE).publicKey.export({ type: 'spki', format: 'der' });
  for (const message of PHP_MESSAGES) {
    const now = Math.floor(Date.parse(message.Timestamp) / 1000);
    const options = { ...OPTIONS, topicArns: [message.TopicArn] };
    assert.deepEqual(verify(message, [key], now, options), { ok: true }, message.MessageId);
    assert.deepEqual(verify({ ...message, Message: 'Hello world?' }, [key], now, options), { ok: false, reason: 'signature mismatch' });
    const locatedAt = awsSns.locateKeys!(request(message), [], options, now, false);
    assert.ok('fetch' in locatedAt && locatedAt.fetch.url.href === PHP_CERT_URL, "its certificate is on Amazon's hosts");
    assert.ok(new X509Certificate(PHP_CERTIFICATE).checkHost(locatedAt.fetch.names[1]!), 'and issued to a name locateKeys accepts');
  }
});

// sns-validator (Amazon's Node validator, a devDependency) fetches the certificate itself with https.get: stubbed here
// to serve the test key, so that its own canonical string and verification judge what this test signed.
const require = createRequire(import.meta.url);
const MessageValidator = require('sns-validator') as new () => { validate(message: unknown, done: (error: Error | null) => void): void };

async function snsValidator(message: Record<string, string>, pem: string): Promise<Error | null> {
  const original = https.get;
  Object.assign(https, {
    get(_url: string, respond: (response: PassThrough & { statusCode: number }) => void) {
      const response = Object.assign(new PassThrough(), { statusCode: 200 });
      process.nextTick(() => {
        respond(response);
        response.end(pem);
      });
      return new PassThrough();
    },
  });
  try {
    return await new Promise((resolve) => new MessageValidator().validate(message, resolve));
  } finally {
    Object.assign(https, { get: original });
  }
}

test('aws-sns: sns-validator agrees on what is accepted and refused (Notifications with and without Subject, a confirmation)', async () => {
  const cases = [signed({}), signed({ Subject: undefined }), signed({}, amazon.privateKey, '1'), confirmation('SubscriptionConfirmation')];
  for (const [index, message] of cases.entries()) {
    // A certificate URL of its own per case (it is not signed): sns-validator caches certificates by URL, for good.
    const own: Record<string, string> = { ...message, SigningCertURL: CERT_URL.replace('.pem', `${index}.pem`) };
    assert.equal(await snsValidator(own, amazon.pem), null, `case ${index}: sns-validator accepts`);
    assert.deepEqual(verify(own), { ok: true }, `case ${index}: so does this provider`);
    const tampered = { ...own, MessageId: `${own.MessageId}0` };
    assert.match(String(await snsValidator(tampered, amazon.pem)), /signature is invalid/, `case ${index}: sns-validator refuses`);
    assert.deepEqual(verify(tampered), { ok: false, reason: 'signature mismatch' });
  }
});

test('aws-sns: UnsubscribeConfirmation signs Token as SubscriptionConfirmation does (the AWS page; sns-validator 0.3.5 does not)', () => {
  const message = confirmation('UnsubscribeConfirmation');
  assert.match(canonicalString(message as unknown as SnsMessage), /\nToken\n2336412f/);
  assert.deepEqual(verify(message), { ok: true });
  assert.deepEqual(verify({ ...message, Token: 'other' }), { ok: false, reason: 'signature mismatch' });
});

test('aws-sns: a changed byte, another key, no signature, another topic or version are refused; either of two keys accepted', () => {
  assert.deepEqual(verify(signed({})), { ok: true });
  assert.deepEqual(verify(signed({}, amazon.privateKey, '1')), { ok: true }, 'SignatureVersion 1, SHA1withRSA');
  const message = signed({});
  const body = Buffer.from(JSON.stringify(message));
  body[body.indexOf('Hello')]! ^= 0x01;
  assert.deepEqual(awsSns.verify({ ...request(message), body }, [amazon.spki], OPTIONS, NOW), { ok: false, reason: 'signature mismatch' });
  assert.deepEqual(verify(signed({}, other.privateKey)), { ok: false, reason: 'signature mismatch' });
  assert.deepEqual(verify(signed({}, other.privateKey), [amazon.spki, other.spki]), { ok: true }, 'keys are all tried');
  const { Signature: _gone, ...unsigned } = message;
  assert.deepEqual(verify(unsigned), { ok: false, reason: 'the message has no Signature' });
  assert.deepEqual(verify({ ...message, Signature: 'not base64!' }), { ok: false, reason: 'the message Signature is not base64' });
  const otherTopic = signed({ TopicArn: `${TOPIC}-other` });
  assert.deepEqual(verify(otherTopic), { ok: false, reason: "the topic is not one of this source's topicArns" });
  assert.deepEqual(verify(signed({}, amazon.privateKey, '1'), [amazon.spki], NOW, { ...OPTIONS, signatureVersions: ['2'] }), {
    ok: false,
    reason: 'SignatureVersion 1 is not accepted here',
  });
  assert.deepEqual(verify(signed({ Type: 'Other' })).ok, false);
  const incomplete = signed({ Type: 'SubscriptionConfirmation' });
  assert.deepEqual(verify(incomplete), { ok: false, reason: 'a SubscriptionConfirmation has a SubscribeURL and a Token' });
  assert.deepEqual(verify('not json'), { ok: false, reason: 'an SNS message is a JSON object' });
  assert.deepEqual(verify(signed({}), [Buffer.from('an HMAC secret, not a key')]), { ok: false, reason: 'signature mismatch' });
});

test('aws-sns: a Timestamp outside the tolerance either way is refused, one at its edge accepted', () => {
  for (const skew of [3901, -3901]) {
    const stale = signed({ Timestamp: new Date((NOW - skew) * 1000).toISOString() });
    assert.deepEqual(verify(stale), { ok: false, reason: 'timestamp outside the tolerance' });
    assert.deepEqual(locate(stale), { refused: 'timestamp outside the tolerance' }, 'before anything is fetched');
  }
  assert.deepEqual(verify(signed({ Timestamp: new Date((NOW - 3900) * 1000).toISOString() })), { ok: true });
  assert.deepEqual(verify(signed({ Timestamp: 'yesterday' })), { ok: false, reason: 'the message Timestamp is not a date' });
});

test("aws-sns: the certificate is fetched only from Amazon's SNS hosts, decided before anything is fetched", () => {
  const plan = locate(signed({}));
  assert.ok('fetch' in plan);
  assert.equal(plan.fetch.url.href, CERT_URL);
  assert.deepEqual(plan.fetch.names, ['sns.us-east-1.amazonaws.com', 'sns.amazonaws.com']);
  for (const good of [
    CERT_URL,
    'https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-0123abcd.pem',
    'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-0123abcd.pem',
    'https://sns.ap-southeast-2.amazonaws.com/SimpleNotificationService-0123abcd.pem',
  ])
    assert.ok(certificateUrl(good), good);
  for (const bad of [
    'http://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem',
    'https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-0123abcd.pem',
    'https://sns.s3-external-1.amazonaws.com/SimpleNotificationService-0123abcd.pem', // an S3 bucket named "sns"
    'https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-0123abcd.pem',
    'https://user@sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem',
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem?x=1',
    'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem#x',
    'https://sns.us-east-1.amazonaws.com/other.pem',
    'https://sns.us-east-1.amazonaws.com/a/../SimpleNotificationService-0123abcd.pem/..',
    'https://169.254.169.254/latest/meta-data/SimpleNotificationService-0123abcd.pem',
    'https://sns.amazonaws.com/SimpleNotificationService-0123abcd.pem',
    'not a url',
  ]) {
    assert.equal(certificateUrl(bad), undefined, bad);
    assert.deepEqual(locate(signed({ SigningCertURL: bad })), { refused: OFF_HOSTS }, bad);
  }
  assert.deepEqual(locate(signed({ TopicArn: `${TOPIC}-other` })), { refused: "the topic is not one of this source's topicArns" });
  const issuer = (url: string) => plan.fetch.issuerUrl(new URL(url));
  assert.ok(issuer('http://crt.r2m01.amazontrust.com/r2m01.cer'));
  const issuers = [
    'https://evil.example/r2m01.cer',
    'http://crt.r2m01.amazontrust.com.evil.example/r2m01.cer',
    'http://crt.r2m01.amazontrust.com:81/r2m01.cer',
    'http://user@crt.r2m01.amazontrust.com/r2m01.cer',
  ];
  for (const bad of issuers) {
    assert.equal(issuer(bad), false, bad);
  }
});

test("aws-sns: a SubscriptionConfirmation is answered once its SubscribeURL, on Amazon's hosts, is confirmed; never published", () => {
  const message = confirmation('SubscriptionConfirmation');
  assert.deepEqual(verify(message), { ok: true });
  const reply = awsSns.challenge!(message, request(message), [], OPTIONS);
  const confirm = new URL(message.SubscribeURL!);
  assert.deepEqual(reply, { status: 200, contentType: 'text/plain; charset=utf-8', body: 'subscription confirmed', confirm });
  const elsewhere = { ...message, SubscribeURL: 'https://evil.example/?Action=ConfirmSubscription' };
  const offHost = awsSns.challenge!(elsewhere, request(''), [], OPTIONS)!;
  assert.equal(offHost.status, 400);
  assert.equal(offHost.confirm, undefined);
  assert.equal(subscribeUrl('https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe'), undefined);
  assert.deepEqual(awsSns.challenge!(confirmation('UnsubscribeConfirmation'), request(message), [], OPTIONS), {
    status: 200,
    contentType: 'text/plain; charset=utf-8',
    body: 'unsubscribed',
  });
  assert.equal(awsSns.challenge!(signed({}), request(message), [], OPTIONS), undefined, 'a Notification is an event');
  // The answers are constant: nothing a stranger could choose or a key could shape comes back in them.
  const chosen = awsSns.challenge!({ ...message, Message: 'anything' }, request(message), [Buffer.from('k')], OPTIONS)!;
  assert.equal(chosen.body, 'subscription confirmed');
});

test('aws-sns: a Notification is described by its MessageId and its topic', () => {
  const message = signed({});
  assert.deepEqual(
    awsSns.describe(request(message), () => message),
    { deliveryId: message.MessageId, eventType: TOPIC },
  );
});

test("aws-sns: `hookpipe send` signs with a stand-in key its source's secret vouches for, trusted against the emulator only", () => {
  const sample = awsSns.sample(NOW);
  const url = new URL('http://localhost:8080/webhooks/sns');
  const input = { body: sample.body, url, now: NOW, id: '1', contentType: sample.contentType };
  const sealed = awsSns.seal!(input, 'stand-in-secret', OPTIONS);
  const message = JSON.parse(sealed.toString()) as Record<string, string>;
  assert.equal(message.TopicArn, TOPIC);
  const plan = locate(message, true);
  assert.ok('keys' in plan, JSON.stringify(plan));
  assert.deepEqual(awsSns.verify(request(message), plan.keys as Buffer[], OPTIONS, NOW), { ok: true });
  assert.deepEqual(locate(message, false), { refused: OFF_HOSTS }, 'never in production');
  const otherSecret = JSON.parse(awsSns.seal!(input, 'another-secret', OPTIONS).toString()) as Record<string, string>;
  assert.deepEqual(locate(otherSecret, true), { refused: 'the local signing key is not vouched for' });
  assert.deepEqual(awsSns.sign({ ...input, body: sealed }, 'stand-in-secret', OPTIONS)['x-amz-sns-topic-arn'], TOPIC);
});
