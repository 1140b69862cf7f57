// The scheme most HMAC providers share: one header holding an HMAC of what the provider signs, with or without a
// prefix, hex or base64. The raw body itself for GitHub, Meta, X, Shopify, Intercom and Linear; the body with a URL,
// a method, ids or a timestamp around it for Square, HubSpot, Twitch, Slack and Zoom. Each provider module names its
// header and builds its signed content, once, for verify and sign alike; this checks and makes the header.
import { type Algorithm, anyKeyMatches, decodeSignature, hmac } from './crypto.ts';
import { fail, OK, type Verdict, type WebhookRequest } from './types.ts';

export interface BodySignature {
  /** Lower-case header name. */
  header: string;
  /** How the header is named in messages (its usual spelling). */
  label: string;
  prefix: string;
  encoding: 'hex' | 'base64';
  /** HMAC-SHA256 unless the provider says otherwise (Intercom's SHA-1). */
  algorithm?: Algorithm;
}

/** What a provider signs, in order: text (UTF-8) and raw bytes, concatenated with nothing between. */
export type SignedContent = ReadonlyArray<string | Uint8Array>;

const digest = (spec: BodySignature, key: Buffer | string, content: SignedContent) => hmac(spec.algorithm ?? 'sha256', key, ...content);

/** Checks the header's signature of `content` under any of the keys. */
export function verifyHeaderSignature(
  request: WebhookRequest,
  keys: readonly Buffer[],
  spec: BodySignature,
  content: SignedContent,
): Verdict {
  const value = request.headers.get(spec.header);
  if (!value) return fail(`missing ${spec.label} header`);
  if (!value.startsWith(spec.prefix)) return fail(`${spec.label} does not start with ${spec.prefix}`);
  const signature = decodeSignature(value.slice(spec.prefix.length), spec.encoding);
  if (!signature) return fail(`${spec.label} is not ${spec.encoding}`);
  return anyKeyMatches(keys, [signature], (key) => digest(spec, key, content)) ? OK : fail('signature mismatch');
}

/** The header the provider would send for this signed content. */
export function signHeader(secret: Buffer | string, spec: BodySignature, content: SignedContent): Record<string, string> {
  return { [spec.header]: spec.prefix + digest(spec, secret, content).toString(spec.encoding) };
}

/** The signed content is the raw body itself. */
export const verifyBodySignature = (request: WebhookRequest, keys: readonly Buffer[], spec: BodySignature): Verdict =>
  verifyHeaderSignature(request, keys, spec, [request.body]);

export const signBody = (body: Buffer, secret: string, spec: BodySignature): Record<string, string> => signHeader(secret, spec, [body]);
