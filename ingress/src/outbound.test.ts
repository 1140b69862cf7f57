// The ingress's outbound port (outbound.ts): certificates fetched through a stub, made at test time by a local CA
// (test/support/local-ca.ts) or genuine Amazon ones checked against Node's own root CAs; then AWS SNS through the
// ingress with that port: what is fetched, what is confirmed, what is published, and what is refused before any fetch.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { rootCertificates } from 'node:tls';
import { HttpError } from '../../shared/src/errors.ts';
import { ingressApp } from '../../test/support/ingress-app.ts';
import { makeChain } from '../../test/support/local-ca.ts';
import { SNS_CERT_URL, SNS_TOPIC, signedSnsMessage, snsConfirmation } from '../../test/support/sns.ts';
import { checkChain, createOutbound, type OutboundOptions } from './outbound.ts';
import { awsSns } from './providers/aws-sns.ts';
import { bindProvider, parseSources } from './providers/index.ts';
import type { CertificateRequest } from './providers/types.ts';

const HOST = 'sns.us-east-1.amazonaws.com';
const ISSUER_URL = 'http://crt.test1.amazontrust.com/test1.cer';
const trusted = makeChain({ names: [HOST], issuerUrl: ISSUER_URL, label: 'trusted' });
const stranger = makeChain({ names: [HOST], issuerUrl: ISSUER_URL, label: 'stranger' });
const der = (pem: string) => new X509Certificate(pem).raw;
const spki = (pem: string) => new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });

type Served = string | Buffer | number | Error | Promise<never>;

/** A fetch port serving `files` by URL, recording each call; it checks that nothing is ever fetched with redirects on. */
function stubFetch(files: Record<string, Served>) {
  const calls: string[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    calls.push(url);
    assert.equal(init?.redirect, 'error', `${url} is fetched without following redirects`);
    assert.ok(init?.signal, `${url} is fetched with a timeout`);
    const served = files[url];
    if (served === undefined) return new Response('no such file', { status: 404 });
    if (served instanceof Error) throw served;
    if (served instanceof Promise) return served;
    return typeof served === 'number' ? new Response('', { status: served }) : new Response(new Uint8Array(Buffer.from(served)));
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const certificateRequest = (url: string, names = [HOST, 'sns.amazonaws.com']): CertificateRequest => ({
  url: new URL(url),
  names,
  issuerUrl: (issuer) => issuer.hostname.endsWith('.amazontrust.com'),
});

const outbound = (files: Record<string, Served>, options: Partial<OutboundOptions> = {}) => {
  const stub = stubFetch(files);
  return { ...stub, port: createOutbound({ fetch: stub.fetch, roots: [trusted.rootPem], ...options }) };
};

async function refused(promise: Promise<unknown>, status: number, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HttpError, String(error));
    assert.equal(error.status, status);
    assert.match(error.message, message);
    return true;
  });
}

test('outbound: a leaf-only file is completed from its CA Issuers URL, chained to the trust store, and its key kept', async () => {
  const { port, calls } = outbound({ [SNS_CERT_URL]: trusted.leafPem, [ISSUER_URL]: der(trusted.intermediatePem) });
  assert.deepEqual(await port.certificateKey(certificateRequest(SNS_CERT_URL)), spki(trusted.leafPem));
  assert.deepEqual(calls, [SNS_CERT_URL, ISSUER_URL]);
  assert.deepEqual(await port.certificateKey(certificateRequest(SNS_CERT_URL)), spki(trusted.leafPem));
  assert.equal(calls.length, 2, 'kept: not fetched again');
});

test('outbound: a file that holds its chain needs no other fetch; concurrent askers share one fetch', async () => {
  const { port, calls } = outbound({ [SNS_CERT_URL]: trusted.leafPem + trusted.intermediatePem });
  const keys = await Promise.all([1, 2, 3].map(() => port.certificateKey(certificateRequest(SNS_CERT_URL))));
  for (const key of keys) assert.deepEqual(key, spki(trusted.leafPem));
  assert.deepEqual(calls, [SNS_CERT_URL]);
});

test('outbound: a certificate that does not hold is refused with 401', async () => {
  const url = (name: string) => SNS_CERT_URL.replace('.pem', `-${name}.pem`);
  const { port } = outbound({
    [url('stranger')]: stranger.leafPem + stranger.intermediatePem,
    [url('names')]: trusted.leafPem + trusted.intermediatePem,
    [url('garbage')]: 'not a certificate',
    [url('large')]: Buffer.alloc(70 * 1024, 0x41),
    [url('orphan')]: trusted.leafPem,
  });
  await refused(port.certificateKey(certificateRequest(url('stranger'))), 401, /does not chain to a trusted root/);
  const elsewhere = certificateRequest(url('names'), ['sns.eu-west-1.amazonaws.com']);
  await refused(port.certificateKey(elsewhere), 401, /is not issued to sns\.eu-west-1/);
  const intermediate = new X509Certificate(trusted.intermediatePem);
  const asLeaf = checkChain(intermediate, [], [new X509Certificate(trusted.rootPem)], Date.now());
  assert.deepEqual(asLeaf, { ok: false, reason: 'is a CA certificate, not a signing one' });
  await refused(port.certificateKey(certificateRequest(url('garbage'))), 401, /holds no certificate/);
  await refused(port.certificateKey(certificateRequest(url('large'))), 401, /is over 65536 bytes/);
  await refused(port.certificateKey(certificateRequest(url('missing'))), 401, /was not found at its URL \(HTTP 404\)/);
  // Its issuer's URL is one the provider does not allow: nothing is fetched from it.
  const strict = { ...certificateRequest(url('orphan')), issuerUrl: () => false };
  await refused(port.certificateKey(strict), 401, /does not chain to a trusted root/);
  for (const [offset, reason] of [
    [40, /is expired or not yet valid/],
    [-2, /is expired or not yet valid/],
  ] as const) {
    const clock = () => Date.now() + offset * 86_400_000;
    const { port: at } = outbound({ [SNS_CERT_URL]: trusted.leafPem + trusted.intermediatePem }, { clock });
    await refused(at.certificateKey(certificateRequest(SNS_CERT_URL)), 401, reason);
  }
});

test('outbound: an unreachable host is a 503 for the provider to retry, and is not kept', async () => {
  const files: Record<string, Served> = { [SNS_CERT_URL]: new TypeError('fetch failed') };
  const { port, calls } = outbound(files);
  await refused(port.certificateKey(certificateRequest(SNS_CERT_URL)), 503, /could not be reached/);
  files[SNS_CERT_URL] = 502;
  await refused(port.certificateKey(certificateRequest(SNS_CERT_URL)), 503, /could not be reached/);
  files[SNS_CERT_URL] = trusted.leafPem + trusted.intermediatePem;
  assert.deepEqual(await port.certificateKey(certificateRequest(SNS_CERT_URL)), spki(trusted.leafPem));
  assert.equal(calls.length, 3);
});

test('outbound: kept certificates are bounded in number and in time', async () => {
  const file = trusted.leafPem + trusted.intermediatePem;
  const urls = ['a', 'b', 'c'].map((name) => SNS_CERT_URL.replace('.pem', `-${name}.pem`));
  let now = Date.now();
  const { port, calls } = outbound(Object.fromEntries(urls.map((url) => [url, file])), { maxEntries: 2, ttlMs: 60_000, clock: () => now });
  for (const url of urls) await port.certificateKey(certificateRequest(url));
  await port.certificateKey(certificateRequest(urls[0]!));
  assert.deepEqual(calls, [...urls, urls[0]], 'the oldest went first');
  await port.certificateKey(certificateRequest(urls[0]!));
  assert.equal(calls.length, 4, 'kept within its time');
  now += 60_001;
  await port.certificateKey(certificateRequest(urls[0]!));
  assert.equal(calls.length, 5, 'fetched again past it');
});

test('outbound: past its bound of fetches under way, a request is told to retry instead of queueing', async () => {
  let answer!: (response: Response) => void;
  const hanging = new Promise<never>((resolve) => {
    answer = resolve as unknown as (response: Response) => void;
  });
  const slow = SNS_CERT_URL.replace('.pem', '-slow.pem');
  const { port } = outbound({ [slow]: hanging, [SNS_CERT_URL]: trusted.leafPem }, { maxInFlight: 1 });
  const first = port.certificateKey(certificateRequest(slow));
  await refused(port.certificateKey(certificateRequest(SNS_CERT_URL)), 503, /too many/);
  answer(new Response(trusted.leafPem + trusted.intermediatePem));
  assert.deepEqual(await first, spki(trusted.leafPem));
});

// A genuine current SNS signing certificate (af-south-1, July 2026 to February 2027) and its issuer, Amazon RSA 2048 M01,
// as served at https://sns.af-south-1.amazonaws.com/SimpleNotificationService-5416b31fae4efe3bce5b30212490f0b5.pem and
// at the leaf's own CA Issuers URL; copied from the fixtures of github.com/CGProductionHouse/CG-Dynamics (values only).
// Whoever serves them, the test proves what matters: the leaf is signed by M01 and M01 by the Amazon Root CA 1 that
// Node bundles, so the production trust store accepts Amazon's real chain, its intermediate fetched as Amazon names it.
const AF_SOUTH_1_LEAF = `-----BEGIN CERTIFICATE-----
MIIGCDCCBPCgAwIBAgIQBm5jDJyoiuPSjPcdrTr3uTANBgkqhkiG9w0BAQsFADA8
MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRwwGgYDVQQDExNBbWF6b24g
UlNBIDIwNDggTTAxMB4XDTI2MDcyNTAwMDAwMFoXDTI3MDIwNzIzNTk1OVowLzEt
MCsGA1UEAxMkc25zLXNpZ25pbmcuYWYtc291dGgtMS5hbWF6b25hd3MuY29tMIIB
IjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAioOhRpquhIWM4t43I3egIUS/
bKM2pUX2kZMIdWOpovxui/c7ehK2cFVjA+vTQD+oBr7kd0ywmunqhmQzqn5j0RTn
t2COL6oaxE/2Bl0G3sGtylUcQTOBZ0JEzXoUrBwduYMKGPGya8In3Pkupueryv5q
wxRT+r5ZU+pQEwy+S7sZRmKogyXoAZGagN7YKQ2mQbeqMoK4FTUlsTyS0OFPXnrl
0Z9HQME594g3+QUa1t04coIcE5uYXjKTMPi2njg/3d36/YmAWzJ9acBdEwMnnWQ8
Tb19H12jF9Lf6rfz/7mPxfDO9PJ6iP0088W0jzRLNvQ1h/sH9eP7BL7B1qZ6hQID
AQABo4IDETCCAw0wHwYDVR0jBBgwFoAUgbgOY4qJEhjl+js7UJWf5uWQE4UwHQYD
VR0OBBYEFJi2Fcj2IHbfOsq5sFAT5VObf4nTME0GA1UdEQRGMESCJHNucy1zaWdu
aW5nLmFmLXNvdXRoLTEuYW1hem9uYXdzLmNvbYIcc25zLmFmLXNvdXRoLTEuYW1h
em9uYXdzLmNvbTATBgNVHSAEDDAKMAgGBmeBDAECATAOBgNVHQ8BAf8EBAMCBaAw
EwYDVR0lBAwwCgYIKwYBBQUHAwEwOwYDVR0fBDQwMjAwoC6gLIYqaHR0cDovL2Ny
bC5yMm0wMS5hbWF6b250cnVzdC5jb20vcjJtMDEuY3JsMHUGCCsGAQUFBwEBBGkw
ZzAtBggrBgEFBQcwAYYhaHR0cDovL29jc3AucjJtMDEuYW1hem9udHJ1c3QuY29t
MDYGCCsGAQUFBzAChipodHRwOi8vY3J0LnIybTAxLmFtYXpvbnRydXN0LmNvbS9y
Mm0wMS5jZXIwDAYDVR0TAQH/BAIwADCCAX4GCisGAQQB1nkCBAIEggFuBIIBagFo
AHcATGPcmOWcHauI9h6KPd6uj6tEozd7X5uUw/uhnPzBviYAAAGflu9CIwAABAMA
SDBGAiEAm4+PJHUEejy44fyBm4PMeaHYPJODtAeY0TdqdgMPexkCIQDV6akSypHA
eQn4ht/ovB1I8kJ8sFFT/8Z1LzP/l0PSngB1ANbVjanQF1Pzakqgx1dJAq/rx9ws
04zZ92TIDIkZHp8CAAABn5bvQi8AAAQDAEYwRAIgYG73HwhQPhaxm+BbuNm+29MI
cHwBnGa6rjYC1REmmGoCIESCtqZyN+S0mnEBUdO86b7LA4hQbsK47gbpqCLECWwj
AHYAHJ9oLOn68EVpUPgbloqH3dsyENhM5siy44JSSsTPWZ8AAAGflu9C4wAABAMA
RzBFAiEAi9r7Le1ik9lV3r3xcbhZLXiqdrG6qFpyjdI404mn+64CIEcoQ3wgyfYy
anyk4UzTGKGckDubyocGPvu7CA5EQ8zPMA0GCSqGSIb3DQEBCwUAA4IBAQASmTnH
mdMQ3cHYl0srOXnfZImbeXWwSq2XBjJA4SMdLZYAjYXX5KzWoINGrEA9sfFND7Rg
lEWGvWqHFI7Zv6CCbzbG5PAU0HoQcCyH64iE3ZGKZp/zZD3Nu9z/iQxzMgjwUR+y
fk9pltizfpK+rN6tvJGdIbZkqEw8iOsM986F+zHI4gGabJL0flz7K9t+PaHkVU1A
TauncP4x2xQw+pI9VoqnRc2AMN3uMJPS5AvEjmKyXktjVffa1Uhn3izXa+gzT2DN
Rn68HdkXGXzITsJK+P/sfDMM/kyGnIGXeH+rwGgQSNlH0QHbU6vzHJcbWiS+pj6f
/IUb2Kqqzw/xxQwK
-----END CERTIFICATE-----`;
const AMAZON_RSA_2048_M01 = `-----BEGIN CERTIFICATE-----
MIIEXjCCA0agAwIBAgITB3MSOAudZoijOx7Zv5zNpo4ODzANBgkqhkiG9w0BAQsF
ADA5MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6
b24gUm9vdCBDQSAxMB4XDTIyMDgyMzIyMjEyOFoXDTMwMDgyMzIyMjEyOFowPDEL
MAkGA1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEcMBoGA1UEAxMTQW1hem9uIFJT
QSAyMDQ4IE0wMTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAOtxLKnL
H4gokjIwr4pXD3i3NyWVVYesZ1yX0yLI2qIUZ2t88Gfa4gMqs1YSXca1R/lnCKeT
epWSGA+0+fkQNpp/L4C2T7oTTsddUx7g3ZYzByDTlrwS5HRQQqEFE3O1T5tEJP4t
f+28IoXsNiEzl3UGzicYgtzj2cWCB41eJgEmJmcf2T8TzzK6a614ZPyq/w4CPAff
nAV4coz96nW3AyiE2uhuB4zQUIXvgVSycW7sbWLvj5TDXunEpNCRwC4kkZjK7rol
jtT2cbb7W2s4Bkg3R42G3PLqBvt2N32e/0JOTViCk8/iccJ4sXqrS1uUN4iB5Nmv
JK74csVl+0u0UecCAwEAAaOCAVowggFWMBIGA1UdEwEB/wQIMAYBAf8CAQAwDgYD
VR0PAQH/BAQDAgGGMB0GA1UdJQQWMBQGCCsGAQUFBwMBBggrBgEFBQcDAjAdBgNV
HQ4EFgQUgbgOY4qJEhjl+js7UJWf5uWQE4UwHwYDVR0jBBgwFoAUhBjMhTTsvAyU
lC4IWZzHshBOCggwewYIKwYBBQUHAQEEbzBtMC8GCCsGAQUFBzABhiNodHRwOi8v
b2NzcC5yb290Y2ExLmFtYXpvbnRydXN0LmNvbTA6BggrBgEFBQcwAoYuaHR0cDov
L2NydC5yb290Y2ExLmFtYXpvbnRydXN0LmNvbS9yb290Y2ExLmNlcjA/BgNVHR8E
ODA2MDSgMqAwhi5odHRwOi8vY3JsLnJvb3RjYTEuYW1hem9udHJ1c3QuY29tL3Jv
b3RjYTEuY3JsMBMGA1UdIAQMMAowCAYGZ4EMAQIBMA0GCSqGSIb3DQEBCwUAA4IB
AQCtAN4CBSMuBjJitGuxlBbkEUDeK/pZwTXv4KqPK0G50fOHOQAd8j21p0cMBgbG
kfMHVwLU7b0XwZCav0h1ogdPMN1KakK1DT0VwA/+hFvGPJnMV1Kx2G4S1ZaSk0uU
5QfoiYIIano01J5k4T2HapKQmmOhS/iPtuo00wW+IMLeBuKMn3OLn005hcrOGTad
hcmeyfhQP7Z+iKHvyoQGi1C0ClymHETx/chhQGDyYSWqB/THwnN15AwLQo0E5V9E
SJlbe4mBlqeInUsNYugExNf+tOiybcrswBy8OFsd34XOW3rjSUtsuafd9AWySa3h
xRRrwszrzX/WWGm6wyB+f7C4
-----END CERTIFICATE-----`;

test("outbound: Amazon's real chain for SNS af-south-1 is accepted by Node's own root CAs, its intermediate fetched as named", async () => {
  const url = 'https://sns.af-south-1.amazonaws.com/SimpleNotificationService-5416b31fae4efe3bce5b30212490f0b5.pem';
  const files = { [url]: AF_SOUTH_1_LEAF, 'http://crt.r2m01.amazontrust.com/r2m01.cer': der(AMAZON_RSA_2048_M01) };
  const request = certificateRequest(url, ['sns.af-south-1.amazonaws.com', 'sns.amazonaws.com']);
  const at = (date: string) => outbound(files, { roots: rootCertificates, clock: () => Date.parse(date) });
  const { port, calls } = at('2026-10-02T00:00:00Z');
  assert.deepEqual(await port.certificateKey(request), spki(AF_SOUTH_1_LEAF));
  assert.deepEqual(calls, [url, 'http://crt.r2m01.amazontrust.com/r2m01.cer']);
  await refused(at('2027-03-01T00:00:00Z').port.certificateKey(request), 401, /is expired or not yet valid/);
  const elsewhere = { ...request, names: ['sns.eu-west-1.amazonaws.com'] };
  await refused(at('2026-10-02T00:00:00Z').port.certificateKey(elsewhere), 401, /is not issued to/);
});

test('outbound: confirm resolves on 2xx; any other answer or a failure is a 503', async () => {
  const ok = 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=1';
  const { port, calls } = outbound({ [ok]: '<ConfirmSubscriptionResponse/>', [`${ok}0`]: 403, [`${ok}1`]: new TypeError('fetch failed') });
  await port.confirm(new URL(ok));
  await refused(port.confirm(new URL(`${ok}0`)), 503, /could not be reached/);
  await refused(port.confirm(new URL(`${ok}1`)), 503, /could not be reached/);
  assert.equal(calls.length, 3);
});

// AWS SNS through the ingress, with the stub as its fetch port and the local CA as its trust store.
const snsConfig = { name: 'sns', provider: 'aws-sns', secrets: ['the stand-in secret'], options: { topicArns: [SNS_TOPIC] } };
const [snsSource] = parseSources({ sources: [snsConfig] }, {});
const snsIngress = (files: Record<string, Served>, deps: Record<string, unknown> = {}) => {
  const stub = stubFetch(files);
  const app = ingressApp([snsSource!], { fetch: stub.fetch, trustedCertificates: [trusted.rootPem], clock: () => Date.now(), ...deps });
  return { ...stub, ...app };
};
const CHAIN = { [SNS_CERT_URL]: trusted.leafPem, [ISSUER_URL]: der(trusted.intermediatePem) };
const post = (app: { request: (url: string, init: RequestInit) => Response | Promise<Response> }, message: unknown) =>
  app.request('http://localhost/webhooks/sns', {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=UTF-8' },
    body: JSON.stringify(message),
  });
const now = () => Math.floor(Date.now() / 1000);
/** What `hookpipe send` posts for the source: signed by its stand-in key, vouched for by the source's own secret. */
const standIn = () =>
  bindProvider(snsSource!).seal({ body: awsSns.sample(now()).body, url: new URL('http://h/'), now: now(), id: '1', contentType: '' });

test('aws-sns through the ingress: a Notification signed by a certificate chaining to the trust store is published', async () => {
  const { app, published, calls } = snsIngress(CHAIN);
  const message = signedSnsMessage({}, trusted.leafKey, now());
  const response = await post(app, message);
  assert.equal(response.status, 202, await response.clone().text());
  assert.deepEqual(await response.json(), { messageId: '1', deliveryId: message.MessageId });
  assert.equal(published[0]!.attributes.eventType, SNS_TOPIC);
  assert.deepEqual(calls, [SNS_CERT_URL, ISSUER_URL]);
  assert.equal((await post(app, { ...message, Message: 'Hello world?' })).status, 401, 'one byte changed');
  assert.equal(published.length, 1);
});

test('aws-sns through the ingress: a SubscriptionConfirmation is confirmed at its SubscribeURL, answered, not published', async () => {
  const message = snsConfirmation('SubscriptionConfirmation', trusted.leafKey, now());
  const { app, published, calls } = snsIngress({ ...CHAIN, [message.SubscribeURL!]: '<ConfirmSubscriptionResponse/>' });
  const response = await post(app, message);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), 'subscription confirmed');
  assert.deepEqual(calls, [SNS_CERT_URL, ISSUER_URL, message.SubscribeURL]);
  assert.equal(published.length, 0);

  const failing = snsIngress({ ...CHAIN, [message.SubscribeURL!]: 500 });
  assert.equal((await post(failing.app, message)).status, 503, 'not confirmed: SNS is told to retry');
  assert.equal(failing.published.length, 0);

  const unsubscribed = snsIngress(CHAIN);
  const unsubscribe = await post(unsubscribed.app, snsConfirmation('UnsubscribeConfirmation', trusted.leafKey, now()));
  assert.equal(unsubscribe.status, 200);
  assert.deepEqual(unsubscribed.calls, [SNS_CERT_URL, ISSUER_URL], 'nothing visited');
  assert.equal(unsubscribed.published.length, 0);
});

test("aws-sns through the ingress: another topic, a URL off Amazon's hosts or a local stand-in is refused before any fetch", async () => {
  const { app, calls, published } = snsIngress(CHAIN);
  const cases = [
    signedSnsMessage({ TopicArn: 'arn:aws:sns:us-east-1:999999999999:theirs' }, stranger.leafKey, now()),
    signedSnsMessage({ SigningCertURL: 'https://169.254.169.254/latest/SimpleNotificationService-1.pem' }, stranger.leafKey, now()),
    // What `hookpipe send` makes, vouched for by the source's own secret: trusted against the emulator only.
    JSON.parse(standIn().toString()),
    signedSnsMessage({ Timestamp: new Date(Date.now() - 7_200_000).toISOString() }, trusted.leafKey, now()),
  ];
  for (const message of cases) assert.equal((await post(app, message)).status, 401, JSON.stringify(message).slice(0, 120));
  assert.deepEqual(calls, []);
  assert.equal(published.length, 0);
});

test("aws-sns through the ingress: a stranger's own certificate on Amazon's URL does not chain to the trust store", async () => {
  const { app, published } = snsIngress({ [SNS_CERT_URL]: stranger.leafPem + stranger.intermediatePem });
  const response = await post(app, signedSnsMessage({}, stranger.leafKey, now()));
  assert.equal(response.status, 401);
  assert.match(await response.text(), /does not chain to a trusted root/);
  assert.equal(published.length, 0);
});
