// The generic public-key provider: each algorithm over a configured scheme, signed in the test with Node's crypto
// (the scheme written independently: the signature of "<timestamp>.<body>" under the private key); and how a source
// gives its keys: `publicKeys` inline or from environment variables, checked at start-up and named by their place.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import { ingressApp } from '../../../test/support/ingress-app.ts';
import { verifierSuite } from '../../../test/support/verifier-suite.ts';
import { bindProvider, parseSources } from './index.ts';
import type { KeyAlgorithm } from './keys.ts';
import { MAX_SIGNATURES, type PublicKeyOptions, publicKey } from './public-key.ts';

const NOW = 1_763_000_000;
const pem = (key: KeyObject) => key.export({ format: 'pem', type: key.type === 'public' ? 'spki' : 'pkcs8' }).toString();
const spkiOf = (privatePem: string) => createPublicKey(privatePem).export({ format: 'der', type: 'spki' });
const pair = (algorithm: KeyAlgorithm) =>
  algorithm === 'ed25519'
    ? generateKeyPairSync('ed25519')
    : algorithm === 'ecdsa-p256-sha256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });

const scheme = (algorithm: KeyAlgorithm, ecdsaFormat?: 'der' | 'raw'): PublicKeyOptions => ({
  algorithm,
  ecdsaFormat,
  header: 'x-signature',
  encoding: 'base64',
  prefix: 'v1=',
  separator: ' ',
  timestampHeader: 'x-timestamp',
  timestampUnit: 's',
  toleranceSeconds: 300,
  signedContent: '{timestamp}.{body}',
});

/** The scheme as a sender following it would sign, with Node's crypto directly. */
function independentlySigned(options: PublicKeyOptions, body: Buffer, privatePem: string, now: number): Record<string, string> {
  const data = Buffer.concat([Buffer.from(`${now}.`), body]);
  const digest = options.algorithm === 'ed25519' ? null : 'sha256';
  const dsaEncoding = options.ecdsaFormat === 'raw' ? 'ieee-p1363' : 'der';
  return { 'x-timestamp': String(now), 'x-signature': `v1=${sign(digest, data, { key: privatePem, dsaEncoding }).toString('base64')}` };
}

const body = Buffer.from('{"id":"evt_1","type":"thing.happened"}');
const cases: Array<[string, KeyAlgorithm, ('der' | 'raw')?]> = [
  ['Ed25519', 'ed25519'],
  ['ECDSA P-256, DER signatures', 'ecdsa-p256-sha256', 'der'],
  ['ECDSA P-256, raw r||s signatures', 'ecdsa-p256-sha256', 'raw'],
  ['RSA PKCS#1 v1.5 SHA-256', 'rsa-sha256'],
];
for (const [label, algorithm, format] of cases) {
  describe(`public-key, ${label}`, () => {
    const options = scheme(algorithm, format);
    verifierSuite({
      provider: publicKey,
      options,
      secrets: [pem(pair(algorithm).privateKey), pem(pair(algorithm).privateKey)],
      verifyingKey: spkiOf,
      body,
      signer: `Node's crypto, ${label}`,
      sign: (payload, secret, now) => independentlySigned(options, payload, secret, now),
      signatureHeader: 'x-signature',
      toleranceSeconds: 300,
    });
  });
}

const HERE = new URL('https://h.example/');
const request = (headers: Record<string, string>) => ({ method: 'POST', url: HERE, headers: new Headers(headers), body });

test('public-key: a header with a signature per key (a rotation) is accepted when any matches; past the bound none is tried', () => {
  const options = scheme('ed25519');
  const [current, next] = [pem(pair('ed25519').privateKey), pem(pair('ed25519').privateKey)];
  const signature = (key: string) => independentlySigned(options, body, key, NOW)['x-signature']!;
  const headers = { 'x-timestamp': String(NOW), 'x-signature': `${signature(next)} v0=bm90IGEgc2lnbmF0dXJl ${signature(current)}` };
  assert.deepEqual(publicKey.verify(request(headers), [spkiOf(current)], options, NOW), { ok: true });
  const many = { ...headers, 'x-signature': [...Array(MAX_SIGNATURES).fill(signature(next)), signature(current)].join(' ') };
  assert.deepEqual(publicKey.verify(request(many), [spkiOf(current)], options, NOW), {
    ok: false,
    reason: `x-signature holds more than ${MAX_SIGNATURES} signatures`,
  });
});

// Through the sources schema, as at start-up.
const refusal = (source: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string => {
  try {
    parseSources({ sources: [source] }, env);
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('the source was accepted');
};
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ec2 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const ecdsaSource = (fields: Record<string, unknown>) => ({
  name: 'signed',
  provider: 'public-key',
  options: { algorithm: 'ecdsa-p256-sha256', header: 'x-signature', encoding: 'base64' },
  ...fields,
});

test('public keys come inline or from environment variables (several per variable: PEM blocks or lines), duplicates once', () => {
  const base64 = ec2.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const env = { KEYS: `${pem(ec.publicKey)}\n${pem(ec2.publicKey)}`, MORE: `${base64}\n` };
  const [source] = parseSources({ sources: [ecdsaSource({ publicKeys: [{ env: 'KEYS' }, { env: 'MORE' }, pem(ec.publicKey)] })] }, env);
  assert.deepEqual(
    source!.keys,
    [ec.publicKey, ec2.publicKey].map((key) => key.export({ format: 'der', type: 'spki' })),
  );
  assert.deepEqual(source!.secrets, []);
});

test('a malformed key, or one of another algorithm, stops the start-up naming the source and the key', () => {
  const message = refusal(ecdsaSource({ publicKeys: [pem(ec.publicKey), pem(ed.publicKey)] }));
  assert.match(message, /sources\[0\]\.publicKeys\[1\]: not a P-256 public key/);
  assert.doesNotMatch(message, /publicKeys\[0\]/);
  const fromEnv = refusal(ecdsaSource({ publicKeys: [{ env: 'K' }] }), { K: `${pem(ec.publicKey)}\nnot a key!` });
  assert.match(fromEnv, /sources\[0\]\.publicKeys\[0\]: not a public key: PEM, or base64 or hex of its DER \(SPKI\)/);
  const first = (publicKeys: unknown[]) => refusal(ecdsaSource({ publicKeys }));
  assert.match(first([pem(ec.privateKey)]), /sources\[0\]\.publicKeys\[0\]: a private key: give its public half/);
  assert.match(first([{ env: 'UNSET' }]), /sources\[0\]\.publicKeys\[0\]: environment variable UNSET is not set/);
  assert.match(refusal(ecdsaSource({})), /sources\[0\]\.publicKeys: /);
  assert.match(refusal(ecdsaSource({ publicKeys: [] })), /sources\[0\]\.publicKeys: at least one public key/);
});

test('a public-key source takes publicKeys, not secrets; an HMAC source the converse; each told where its keys go', () => {
  const withSecrets = refusal(ecdsaSource({ publicKeys: [pem(ec.publicKey)], secrets: ['s'] }));
  assert.match(withSecrets, /sources\[0\]\.secrets: public-key verifies public-key signatures: list its keys under publicKeys/);
  const hmacWithKeys = refusal({ name: 'stripe', provider: 'stripe', secrets: ['s'], publicKeys: [pem(ec.publicKey)] });
  assert.match(hmacWithKeys, /sources\[0\]\.publicKeys: stripe verifies with shared secrets: give them as secrets/);
});

test("a signing key must be a private key whose public half is listed, or hookpipe send's signatures would be refused", () => {
  const mismatched = refusal(ecdsaSource({ publicKeys: [pem(ec.publicKey)], signingKey: pem(ec2.privateKey) }));
  assert.match(mismatched, /sources\[0\]\.signingKey: its public half is none of publicKeys, so what it signs would be refused/);
  const signing = (signingKey: string) => refusal(ecdsaSource({ publicKeys: [pem(ec.publicKey)], signingKey }));
  assert.match(signing(pem(ec.publicKey)), /sources\[0\]\.signingKey: a PEM "PUBLIC KEY"/);
  assert.match(signing(pem(ed.privateKey)), /sources\[0\]\.signingKey: not a P-256 private key/);
  const env = { SIGNING: pem(ec.privateKey) };
  const [source] = parseSources({ sources: [ecdsaSource({ publicKeys: [pem(ec.publicKey)], signingKey: { env: 'SIGNING' } })] }, env);
  assert.equal(source!.signingKey, pem(ec.privateKey).trim());
});

test('options: the scheme rules of hmac hold, and ecdsaFormat belongs to ECDSA only', () => {
  const options = (extra: object) =>
    ecdsaSource({ publicKeys: [pem(ed.publicKey)], options: { algorithm: 'ed25519', header: 'x-sig', ...extra } });
  assert.match(refusal(options({ ecdsaFormat: 'raw' })), /sources\[0\]\.options\.ecdsaFormat: only for algorithm ecdsa-p256-sha256/);
  assert.match(refusal(options({ signedContent: '{timestamp}{body}' })), /sources\[0\]\.options\.timestampHeader: required when/);
  assert.match(refusal(options({ algorithm: 'rsa-sha1' })), /sources\[0\]\.options\.algorithm: /);
  const noAlgorithm = ecdsaSource({ publicKeys: [pem(ed.publicKey)], options: { header: 'x-sig' } });
  assert.match(refusal(noAlgorithm), /sources\[0\]\.options\.algorithm: /);
});

test('hookpipe send signs with the signing key; a source without one cannot sign and says why', () => {
  const source = ecdsaSource({ publicKeys: [pem(ec.publicKey)], signingKey: pem(ec.privateKey) });
  const [withKey, withoutKey] = parseSources({ sources: [source, { ...source, name: 'plain', signingKey: undefined }] });
  const input = { body, url: new URL('https://h.example/'), now: NOW, id: 'id', contentType: 'application/json' };
  const bound = bindProvider(withKey!);
  assert.deepEqual(bound.verify(request(bound.sign(input)), NOW), { ok: true });
  assert.throws(() => bindProvider(withoutKey!).sign(input), /signing needs the private key: give the source a signingKey/);
});

test('the ingress refuses a source holding a private key outside the emulator, naming it; on a developer machine it starts', () => {
  const sources = parseSources({ sources: [ecdsaSource({ publicKeys: [pem(ec.publicKey)], signingKey: pem(ec.privateKey) })] });
  const named = /sources\[0\]\.signingKey: source "signed" holds a private key, which the ingress refuses outside the emulator/;
  assert.throws(() => ingressApp(sources), named);
  assert.doesNotThrow(() => ingressApp(sources, { allowRequestUrl: true }));
  assert.doesNotThrow(() => ingressApp(parseSources({ sources: [ecdsaSource({ publicKeys: [pem(ec.publicKey)] })] })));
});
