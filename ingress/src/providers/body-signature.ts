// The scheme GitHub, Meta, X and Shopify share: one header holding an HMAC-SHA256 of the raw body, with or without a
// prefix, hex or base64. Each provider module names its header; this checks and makes it.
import { anyKeyMatches, decodeSignature, hmac } from './crypto.ts';
import { fail, OK, type Verdict, type WebhookRequest } from './types.ts';

export interface BodySignature {
  /** Lower-case header name. */
  header: string;
  /** How the header is named in messages (its usual spelling). */
  label: string;
  prefix: string;
  encoding: 'hex' | 'base64';
}

/** The signed content is the raw body itself; verify and sign both compute this. */
const digest = (key: Buffer | string, body: Buffer) => hmac('sha256', key, body);

export function verifyBodySignature(request: WebhookRequest, keys: readonly Buffer[], spec: BodySignature): Verdict {
  const value = request.headers.get(spec.header);
  if (!value) return fail(`missing ${spec.label} header`);
  if (!value.startsWith(spec.prefix)) return fail(`${spec.label} does not start with ${spec.prefix}`);
  const signature = decodeSignature(value.slice(spec.prefix.length), spec.encoding);
  if (!signature) return fail(`${spec.label} is not ${spec.encoding}`);
  return anyKeyMatches(keys, [signature], (key) => digest(key, request.body)) ? OK : fail('signature mismatch');
}

export function signBody(body: Buffer, secret: string, spec: BodySignature): Record<string, string> {
  return { [spec.header]: spec.prefix + digest(secret, body).toString(spec.encoding) };
}
