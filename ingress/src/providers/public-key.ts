// A generic public-key scheme, beside `hmac`, for providers that sign with a private key and publish the public one:
// Ed25519, ECDSA P-256 with SHA-256 (signatures DER or raw r||s), or RSA with SHA-256 (PKCS#1 v1.5), over the same
// configured scheme as `hmac` (header, prefix, separator, encoding, timestamp and tolerance, signed-content template:
// template.ts). The source lists `publicKeys` (rotation: any listed key may match) instead of `secrets`; a key of
// another algorithm, or not a key at all, stops the start-up naming its place (shared/src/sources.ts, keys.ts).
// Named after its scheme like `standard-webhooks`: `public-key`, hyphenated as the other multi-word providers are.
// SendGrid and Discord are this scheme with their own settings (`presetScheme`).
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import type { EcdsaFormat, KeyAlgorithm } from './keys.ts';
import { contentBytes, KEY_ALGORITHMS, privateKeyFor, readPublicKey, readSigningKey, signWith, verifySignature } from './keys.ts';
import { genericSample } from './sample.ts';
import { refineScheme, type SchemeOptions, schemeFields, schemeUrlSigning, signScheme, verifyScheme } from './template.ts';
import { defineProvider, fail, OK, type SignInput, type Verdict, type WebhookRequest } from './types.ts';

const options = () =>
  z
    .object({
      ...schemeFields,
      algorithm: z.enum(KEY_ALGORITHMS),
      // Unset means DER, the common form; only meaningful for ECDSA (keys.ts says who sends which).
      ecdsaFormat: z.enum(['der', 'raw']).optional(),
    })
    .strict()
    .superRefine((o, ctx) => refineScheme(o, ctx))
    .superRefine((o, ctx) => {
      if (o.ecdsaFormat !== undefined && o.algorithm !== 'ecdsa-p256-sha256') {
        ctx.addIssue({ code: 'custom', path: ['ecdsaFormat'], message: 'only for algorithm ecdsa-p256-sha256' });
      }
    });
export type PublicKeyOptions = SchemeOptions & { algorithm: KeyAlgorithm; ecdsaFormat?: EcdsaFormat | undefined };

/**
 * At most this many signatures in one header are tried. Each try is a public-key operation over the whole signed
 * content (20 to 110 µs for a small body, measured in keys.ts, plus hashing the body), and the header is the sender's
 * to fill: unbounded, one request could buy seconds of CPU. Senders put one per active key, two while rotating.
 */
export const MAX_SIGNATURES = 4;

export function verifyPublicKey(request: WebhookRequest, keys: readonly Buffer[], options: PublicKeyOptions, now: number): Verdict {
  const format = options.ecdsaFormat ?? 'der';
  return verifyScheme(request, options, now, (content, signatures) => {
    if (signatures.length > MAX_SIGNATURES) return fail(`${options.header} holds more than ${MAX_SIGNATURES} signatures`);
    // One copy of the content per request, not per key. Keys are public, so no secret rides on timing: the first match ends it.
    const data = contentBytes(content);
    const matched = keys.some((key) => signatures.some((signature) => verifySignature(options.algorithm, format, data, key, signature)));
    return matched ? OK : fail('signature mismatch');
  });
}

/** Signs as the sender would, with a private key (the source's `signingKey`, or `--secret`): see `privateKeyFor`. */
export function signPublicKey(input: SignInput, secret: string | undefined, options: PublicKeyOptions): Record<string, string> {
  const key = privateKeyFor(secret, options.algorithm);
  return signScheme(input, options, (content) => signWith(options.algorithm, options.ecdsaFormat ?? 'der', contentBytes(content), key));
}

/** The parts of a provider module that a named provider on this scheme shares: its keys, verify and sign. */
export function presetScheme(scheme: Omit<PublicKeyOptions, 'toleranceSeconds'>) {
  const withTolerance = (o: { toleranceSeconds: number }): PublicKeyOptions => ({ ...scheme, toleranceSeconds: o.toleranceSeconds });
  return {
    publicKey: (text: string) => readPublicKey(text, scheme.algorithm),
    signingKey: (text: string) => readSigningKey(text, scheme.algorithm),
    verify: (request: WebhookRequest, keys: readonly Buffer[], o: { toleranceSeconds: number }, now: number) =>
      verifyPublicKey(request, keys, withTolerance(o), now),
    sign: (input: SignInput, secret: string, o: { toleranceSeconds: number }) => signPublicKey(input, secret, withTolerance(o)),
  };
}

/** The options of a named provider on this scheme: only how far its signed timestamp may be from now. */
export const toleranceOptions = (seconds: number) => () => z.object({ toleranceSeconds: toleranceSeconds.default(seconds) }).strict();

export const publicKey = defineProvider({
  name: 'public-key',
  options,
  json: false,
  publicKey: (text, o) => readPublicKey(text, o.algorithm),
  signingKey: (text, o) => readSigningKey(text, o.algorithm),
  urlSigning: (o) => schemeUrlSigning(o),
  verify: verifyPublicKey,
  describe: () => ({}),
  sign: signPublicKey,
  sample: genericSample,
});
