import { type BinaryLike, createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { fail, OK, type Verdict } from './types.ts';

export type Algorithm = 'sha1' | 'sha256' | 'sha512';

export function hmac(algorithm: Algorithm, key: BinaryLike, ...parts: Array<string | Uint8Array>): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Constant-time for equal lengths; a length mismatch is public knowledge (digest sizes are fixed) and fails fast. */
export function safeEqual(expected: Buffer, given: Buffer): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const HEX = /^[0-9a-f]*$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Decodes a signature as sent; undefined for anything that is not well-formed, so garbage never reaches a compare. */
export function decodeSignature(text: string, encoding: 'hex' | 'base64'): Buffer | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (encoding === 'hex') return HEX.test(trimmed) && trimmed.length % 2 === 0 ? Buffer.from(trimmed, 'hex') : undefined;
  if (BASE64.test(trimmed)) return Buffer.from(trimmed, 'base64');
  return BASE64URL.test(trimmed) ? Buffer.from(trimmed, 'base64url') : undefined;
}

/** True when any key produces the expected digest; every key is tried so timing does not tell which one matched. */
export function anyKeyMatches(keys: readonly Buffer[], given: readonly Buffer[], digest: (key: Buffer) => Buffer): boolean {
  let matched = false;
  for (const key of keys) {
    const expected = digest(key);
    for (const signature of given) if (safeEqual(expected, signature)) matched = true;
  }
  return matched;
}

/** A unix timestamp in seconds, strictly digits; anything else is not a timestamp. */
export function parseUnixSeconds(text: string | null | undefined): number | undefined {
  if (!text || !/^\d{1,15}$/.test(text.trim())) return undefined;
  return Number(text.trim());
}

export function withinTolerance(timestamp: number, now: number, toleranceSeconds: number): boolean {
  return Math.abs(now - timestamp) <= toleranceSeconds;
}

/**
 * An RFC 3339 date-time as unix seconds, fraction dropped (Twitch sends nanoseconds, more than `Date` parses, and the
 * tolerance is counted in seconds anyway); anything else is not a timestamp.
 */
const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;
export function parseRfc3339Seconds(text: string | null | undefined): number | undefined {
  const match = RFC3339.exec(text?.trim() ?? '');
  if (!match) return undefined;
  const millis = Date.parse(`${match[1]}${match[2]!.toUpperCase()}`);
  return Number.isNaN(millis) ? undefined : Math.floor(millis / 1000);
}

/** A signed timestamp (unix seconds), refused when absent or malformed (`what` names it) or outside the tolerance. */
export function checkTimestamp(seconds: number | undefined, now: number, toleranceSeconds: number, what: string): Verdict {
  if (seconds === undefined) return fail(`missing or malformed ${what}`);
  return withinTolerance(seconds, now, toleranceSeconds) ? OK : fail('timestamp outside the tolerance');
}

/** A stable id from content, for providers that send none of their own: 128 bits of SHA-256, hex. */
export function contentId(...parts: Array<string | Uint8Array>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex').slice(0, 32);
}
