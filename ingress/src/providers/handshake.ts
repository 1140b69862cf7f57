// The one rule for handshakes that compute with a secret. X's CRC answers `sha256=` + base64 HMAC(consumer secret,
// crc_token), and the same key signs X's POST bodies the same way: were the token free, `GET ?crc_token=<a JSON
// body>` would hand out exactly the signature that POSTing that body needs. So such a handshake may only sign a
// string that (1) matches the provider's strict challenge pattern and (2) the provider's body shape refuses, the
// shape its `verify` enforces before looking at any signature: then no handshake answer is ever a body signature.
//
// Handshakes that echo without computing are outside this rule, and each says why in its module: Meta's
// hub.challenge (echoed only under the verify token, nothing derived from a key) and Slack's url_verification
// (answered only after the POST carrying it was verified).
import { ERROR_STATUS } from '../../../shared/src/errors.ts';
import type { Reply } from './types.ts';

/** What a provider accepts as a body, tested on the raw bytes before any signature is checked. */
export interface BodyShape {
  /** How the shape is named in a refusal. */
  readonly label: string;
  accepts(body: Uint8Array): boolean;
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** A JSON object: its first byte past JSON whitespace is `{`. The full parse comes after verification (`json:`). */
export const JSON_OBJECT: BodyShape = {
  label: 'a JSON object',
  accepts(body) {
    for (const byte of body) if (!WHITESPACE.has(byte)) return byte === 0x7b;
    return false;
  },
};

/**
 * The challenge a handshake may sign, or undefined when it must refuse: a challenge outside `pattern`, or one that
 * `body` would accept as a body, is never signed.
 */
export function signableChallenge(challenge: string | null, pattern: RegExp, body: BodyShape): string | undefined {
  if (challenge === null || !pattern.test(challenge)) return undefined;
  return body.accepts(Buffer.from(challenge, 'utf8')) ? undefined : challenge;
}

/** A handshake's refusal, in the shape of every other error the ingress answers. */
export function refusal(code: 'bad_request' | 'forbidden', message: string): Reply {
  return { status: ERROR_STATUS[code], contentType: 'application/json', body: JSON.stringify({ error: { code, message } }) };
}
