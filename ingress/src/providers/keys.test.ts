// Reading public and private keys in every form a provider shows them, refusing what cannot serve the configured
// algorithm, and Node's signatures in both ECDSA encodings.
import assert from 'node:assert/strict';
import { constants, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { test } from 'node:test';
import { ConfigError } from '../../../shared/src/errors.ts';
import { contentBytes, type KeyAlgorithm, privateKeyFor, readPublicKey, readSigningKey, signWith, verifySignature } from './keys.ts';

const ed = generateKeyPairSync('ed25519');
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const spki = (key: KeyObject) => (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'der', type: 'spki' });
const pem = (key: KeyObject) => key.export({ format: 'pem', type: key.type === 'public' ? 'spki' : 'pkcs8' }).toString();
const rawEd25519 = Buffer.from(ed.publicKey.export({ format: 'jwk' }).x!, 'base64url');

const keyOf = (text: string, algorithm: KeyAlgorithm) => {
  const reading = readPublicKey(text, algorithm);
  assert.ok('key' in reading, `refused: ${'problem' in reading ? reading.problem : ''}`);
  return reading.key;
};
const problemOf = (text: string, algorithm: KeyAlgorithm) => {
  const reading = readPublicKey(text, algorithm);
  assert.ok('problem' in reading, 'accepted');
  return reading.problem;
};

test('public keys are read from PEM, base64 or hex DER (SPKI), and raw 32-byte Ed25519 keys; all give the same DER', () => {
  const rawForms = [rawEd25519.toString('hex'), rawEd25519.toString('base64')];
  const cases: Array<[KeyAlgorithm, KeyObject, string[]]> = [
    ['ed25519', ed.publicKey, [pem(ed.publicKey), spki(ed.publicKey).toString('hex'), ...rawForms]],
    ['ecdsa-p256-sha256', ec.publicKey, [pem(ec.publicKey), spki(ec.publicKey).toString('base64'), spki(ec.publicKey).toString('hex')]],
    ['rsa-sha256', rsa.publicKey, [pem(rsa.publicKey), rsa.publicKey.export({ format: 'pem', type: 'pkcs1' }).toString()]],
  ];
  for (const [algorithm, key, texts] of cases) {
    for (const text of texts) assert.deepEqual(keyOf(text, algorithm), spki(key), `${algorithm}: ${text.slice(0, 30)}`);
  }
  // Pasted wrapped, as PEM bodies and dashboards show them.
  const wrapped = spki(ec.publicKey)
    .toString('base64')
    .replace(/(.{40})/g, '$1\n');
  assert.deepEqual(keyOf(wrapped, 'ecdsa-p256-sha256'), spki(ec.publicKey));
});

test('a key of another algorithm, curve or strength is refused, saying what was expected', () => {
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey;
  const shortRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
  const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey;
  assert.equal(problemOf(pem(k1), 'ecdsa-p256-sha256'), 'not a P-256 public key');
  assert.equal(problemOf(pem(ed.publicKey), 'ecdsa-p256-sha256'), 'not a P-256 public key');
  assert.equal(problemOf(pem(ec.publicKey), 'ed25519'), 'not an Ed25519 public key');
  assert.equal(problemOf(pem(ec.publicKey), 'rsa-sha256'), 'not an RSA public key');
  assert.equal(problemOf(pem(pss), 'rsa-sha256'), 'not an RSA public key');
  assert.equal(problemOf(pem(shortRsa), 'rsa-sha256'), 'an RSA key of 1024 bits: at least 2048 are needed');
  // 32 raw bytes are an Ed25519 key only where Ed25519 is configured.
  assert.match(problemOf(rawEd25519.toString('hex'), 'ecdsa-p256-sha256'), /^not a readable key/);
});

test('a private key, a certificate or anything else is refused as a public key, without echoing it', () => {
  assert.equal(problemOf(pem(ec.privateKey), 'ecdsa-p256-sha256'), 'a private key: give its public half');
  const sec1 = ec.privateKey.export({ format: 'pem', type: 'sec1' }).toString();
  assert.equal(problemOf(sec1, 'ecdsa-p256-sha256'), 'a private key: give its public half');
  const certificate = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
  assert.equal(problemOf(certificate, 'rsa-sha256'), 'a PEM "CERTIFICATE": a "PUBLIC KEY" is expected');
  assert.equal(problemOf('not a key!', 'ed25519'), 'not a public key: PEM, or base64 or hex of its DER (SPKI), or the raw 32-byte key');
  const garbage = problemOf('AAAAAAAA', 'rsa-sha256');
  assert.match(garbage, /^not a readable key/);
  assert.ok(!garbage.includes('AAAAAAAA'));
});

test('a signing key gives its public half; a public key or one of another algorithm is not a signing key', () => {
  const signing = readSigningKey(ec.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'), 'ecdsa-p256-sha256');
  assert.deepEqual(signing, { key: spki(ec.publicKey) });
  assert.deepEqual(readSigningKey(pem(ed.privateKey), 'ed25519'), { key: spki(ed.publicKey) });
  assert.deepEqual(readSigningKey(pem(ec.publicKey), 'ecdsa-p256-sha256'), { problem: 'a PEM "PUBLIC KEY": a "PRIVATE KEY" is expected' });
  assert.deepEqual(readSigningKey(pem(ed.privateKey), 'rsa-sha256'), { problem: 'not an RSA private key' });
});

test('signatures: Ed25519, RSA PKCS#1 v1.5, and ECDSA in DER or raw r||s, each checked in its own encoding only', () => {
  const data = contentBytes(['1763000000.', Buffer.from('{"a":1}')]);
  assert.equal(data.toString(), '1763000000.{"a":1}');
  assert.ok(verifySignature('ed25519', 'der', data, spki(ed.publicKey), sign(null, data, ed.privateKey)));
  assert.ok(verifySignature('rsa-sha256', 'der', data, spki(rsa.publicKey), sign('sha256', data, rsa.privateKey)));
  const der = sign('sha256', data, ec.privateKey);
  const raw = sign('sha256', data, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
  assert.equal(raw.length, 64);
  assert.ok(verifySignature('ecdsa-p256-sha256', 'der', data, spki(ec.publicKey), der));
  assert.ok(verifySignature('ecdsa-p256-sha256', 'raw', data, spki(ec.publicKey), raw));
  assert.equal(verifySignature('ecdsa-p256-sha256', 'raw', data, spki(ec.publicKey), der), false);
  assert.equal(verifySignature('ecdsa-p256-sha256', 'der', data, spki(ec.publicKey), raw), false);
  // RSA-PSS over the same key is another scheme: refused.
  const pss = sign('sha256', data, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING });
  assert.equal(verifySignature('rsa-sha256', 'der', data, spki(rsa.publicKey), pss), false);
  // Our signer makes what the verifier takes, in both ECDSA encodings.
  const ours = signWith('ecdsa-p256-sha256', 'raw', data, ec.privateKey);
  assert.ok(verifySignature('ecdsa-p256-sha256', 'raw', data, spki(ec.publicKey), ours));
});

test("hookpipe send's key: the configured private key; anything else given signs with a throwaway key; nothing given is an error", () => {
  assert.deepEqual(spki(privateKeyFor(pem(ed.privateKey), 'ed25519')), spki(ed.publicKey));
  const throwaway = privateKeyFor('whsec_bm90LXRoZS1zZWNyZXQ=', 'ed25519');
  assert.notDeepEqual(spki(throwaway), spki(ed.publicKey));
  assert.equal(throwaway.asymmetricKeyType, 'ed25519');
  // A private key of another algorithm is as foreign as any other text.
  assert.equal(privateKeyFor(pem(ed.privateKey), 'ecdsa-p256-sha256').asymmetricKeyType, 'ec');
  const none = (error: Error) => error instanceof ConfigError && /signingKey/.test(error.message);
  assert.throws(() => privateKeyFor(undefined, 'ed25519'), none);
});
