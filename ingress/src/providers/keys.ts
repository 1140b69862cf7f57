// Public-key signatures: reading the keys a source is configured with (at start-up, so a malformed key stops it with
// its place named), and checking and making signatures. Node's crypto does all the maths; this only decides which
// keys are acceptable for which algorithm, and in which encodings keys and signatures travel.
// https://nodejs.org/api/crypto.html#cryptocreatepublickeykey
// https://nodejs.org/api/crypto.html#cryptoverifyalgorithm-data-key-signature-callback
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { ConfigError } from '../../../shared/src/errors.ts';
import type { KeyReading } from '../../../shared/src/sources.ts';
import type { SignedContent } from './body-signature.ts';
import { decodeSignature } from './crypto.ts';

/** RSA is PKCS#1 v1.5 (RSASSA-PKCS1-v1_5), not PSS. */
export const KEY_ALGORITHMS = ['ed25519', 'ecdsa-p256-sha256', 'rsa-sha256'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/**
 * How an ECDSA signature (two integers, r and s) is written: `der`, the ASN.1 structure X.509 and most libraries
 * use (SendGrid's Event Webhook sends it, base64); or `raw`, r and s as 32 bytes each (IEEE P1363), what Web Crypto's
 * ECDSA produces and what JWS's ES256 carries.
 * https://www.w3.org/TR/WebCryptoAPI/#ecdsa-operations
 * https://www.rfc-editor.org/rfc/rfc7518#section-3.4
 */
export type EcdsaFormat = 'der' | 'raw';

const NAMES: Record<KeyAlgorithm, string> = { ed25519: 'an Ed25519', 'ecdsa-p256-sha256': 'a P-256', 'rsa-sha256': 'an RSA' };
/** NIST's floor for RSA (112-bit security): https://csrc.nist.gov/pubs/sp/800/57/pt1/r5/final (table 2). */
const MIN_RSA_BITS = 2048;
const PUBLIC_PEM = new Set(['PUBLIC KEY', 'RSA PUBLIC KEY']);
const PRIVATE_PEM = new Set(['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY']);
const PEM_LABEL = /^-----BEGIN ([A-Z0-9 ]+)-----/;

/** The problem with a key of another algorithm or strength, or undefined when it suits `algorithm`. */
function mismatch(key: KeyObject, algorithm: KeyAlgorithm, half: 'public' | 'private'): string | undefined {
  const kind = key.asymmetricKeyType;
  const suits =
    algorithm === 'ed25519'
      ? kind === 'ed25519'
      : algorithm === 'ecdsa-p256-sha256'
        ? kind === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
        : kind === 'rsa';
  if (!suits) return `not ${NAMES[algorithm]} ${half} key`;
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (kind === 'rsa' && bits !== undefined && bits < MIN_RSA_BITS) return `an RSA key of ${bits} bits: at least ${MIN_RSA_BITS} are needed`;
  return undefined;
}

/** A key's bytes as configured: hex, or base64 (line breaks allowed, as keys are often pasted wrapped). */
const keyBytes = (text: string): Buffer | undefined => decodeSignature(text, 'hex') ?? decodeSignature(text.replace(/\s+/g, ''), 'base64');

/** Node's own parse, its refusal turned into the problem to report (its message names no key material). */
function parsed(make: () => KeyObject): KeyObject | string {
  try {
    return make();
  } catch (error) {
    return `not a readable key (${(error as Error).message})`;
  }
}

function publicKeyObject(text: string, algorithm: KeyAlgorithm): KeyObject | string {
  const trimmed = text.trim();
  const label = PEM_LABEL.exec(trimmed)?.[1];
  if (label !== undefined) {
    // createPublicKey would also take a private key (deriving its public half) or a certificate: a private key has no
    // place in the ingress's configuration, and a certificate's dates would be silently ignored.
    if (PRIVATE_PEM.has(label) || label.includes('PRIVATE')) return 'a private key: give its public half';
    if (!PUBLIC_PEM.has(label)) return `a PEM "${label}": a "PUBLIC KEY" is expected`;
    return parsed(() => createPublicKey(trimmed));
  }
  const bytes = keyBytes(trimmed);
  const raw = algorithm === 'ed25519' ? ', or the raw 32-byte key' : '';
  if (bytes === undefined) return `not a public key: PEM, or base64 or hex of its DER (SPKI)${raw}`;
  // Discord and Telnyx show an Ed25519 key as its 32 raw bytes; the JWK form lets Node build the key from them.
  if (algorithm === 'ed25519' && bytes.length === 32) {
    return parsed(() => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') }, format: 'jwk' }));
  }
  return parsed(() => createPublicKey({ key: bytes, format: 'der', type: 'spki' }));
}

function privateKeyObject(text: string): KeyObject | string {
  const trimmed = text.trim();
  const label = PEM_LABEL.exec(trimmed)?.[1];
  if (label !== undefined) {
    return PRIVATE_PEM.has(label) ? parsed(() => createPrivateKey(trimmed)) : `a PEM "${label}": a "PRIVATE KEY" is expected`;
  }
  const bytes = keyBytes(trimmed);
  if (bytes === undefined) return 'not a private key: PEM, or base64 or hex of its DER (PKCS#8)';
  return parsed(() => createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' }));
}

const spki = (key: KeyObject): Buffer => (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'der', type: 'spki' });

function reading(key: KeyObject | string, algorithm: KeyAlgorithm, half: 'public' | 'private'): KeyReading {
  const problem = typeof key === 'string' ? key : mismatch(key, algorithm, half);
  return problem === undefined ? { key: spki(key as KeyObject) } : { problem };
}

/** A configured public key, as the key `verify` gets (DER SPKI), or why it cannot be one for `algorithm`. */
export const readPublicKey = (text: string, algorithm: KeyAlgorithm): KeyReading =>
  reading(publicKeyObject(text, algorithm), algorithm, 'public');

/** The public half (DER SPKI) of a configured signing key, or why it cannot sign for `algorithm`. */
export const readSigningKey = (text: string, algorithm: KeyAlgorithm): KeyReading => reading(privateKeyObject(text), algorithm, 'private');

// Keys are read once, at start-up, so each Buffer a source holds is parsed once here: Node's parse costs 10 to 17 µs
// a key, against 20 to 110 µs for the verification itself (measured here with Node 22 for Ed25519, P-256, RSA-2048).
const parsedKeys = new WeakMap<Buffer, KeyObject>();
function verifyingKey(der: Buffer): KeyObject {
  let key = parsedKeys.get(der);
  if (key === undefined) {
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    parsedKeys.set(der, key);
  }
  return key;
}

/** Node's arguments for an algorithm: the digest (none for Ed25519, which hashes internally) and the key options. */
function signing(algorithm: KeyAlgorithm, format: EcdsaFormat) {
  if (algorithm === 'ed25519') return { digest: null, options: {} };
  if (algorithm === 'rsa-sha256') return { digest: 'sha256', options: { padding: constants.RSA_PKCS1_PADDING } };
  return { digest: 'sha256', options: { dsaEncoding: format === 'raw' ? ('ieee-p1363' as const) : ('der' as const) } };
}

/** The signed content as one buffer: Ed25519 signs the whole message, not a running hash, so the parts are joined. */
export function contentBytes(content: SignedContent): Buffer {
  if (content.length === 1 && Buffer.isBuffer(content[0])) return content[0];
  return Buffer.concat(content.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)));
}

/** Whether `signature` is one by the key (DER SPKI, as `readPublicKey` gives it) over `data`. */
export function verifySignature(algorithm: KeyAlgorithm, format: EcdsaFormat, data: Buffer, key: Buffer, signature: Buffer): boolean {
  const { digest, options } = signing(algorithm, format);
  return verify(digest, data, { key: verifyingKey(key), ...options }, signature);
}

export function signWith(algorithm: KeyAlgorithm, format: EcdsaFormat, data: Buffer, key: KeyObject): Buffer {
  const { digest, options } = signing(algorithm, format);
  return sign(digest, data, { key, ...options });
}

const throwaway = new Map<KeyAlgorithm, KeyObject>();

/**
 * The private key `hookpipe send` signs with: the source's `signingKey`, or the one given with `--secret`. Anything
 * given that is not a private key for the algorithm (a stray HMAC secret, say) signs with a throwaway key made here,
 * which no source accepts: what `--secret` is for, seeing a 401. With nothing given, there is nothing to sign with.
 */
export function privateKeyFor(secret: string | undefined, algorithm: KeyAlgorithm): KeyObject {
  if (!secret) {
    throw new ConfigError(
      'this source verifies public-key signatures, and signing needs the private key: give the source a signingKey ' +
        '(on a developer machine only) or pass one with --secret',
    );
  }
  const key = privateKeyObject(secret);
  if (typeof key !== 'string' && mismatch(key, algorithm, 'private') === undefined) return key;
  let made = throwaway.get(algorithm);
  if (made === undefined) {
    made =
      algorithm === 'ed25519'
        ? generateKeyPairSync('ed25519').privateKey
        : algorithm === 'ecdsa-p256-sha256'
          ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
          : generateKeyPairSync('rsa', { modulusLength: MIN_RSA_BITS }).privateKey;
    throwaway.set(algorithm, made);
  }
  return made;
}
