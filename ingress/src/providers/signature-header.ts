// Signatures carried as a `key=value` list in one header: Stripe's `t=..,v1=..`, Paddle's `ts=..;h1=..`, PagerDuty's
// `v1=..,v1=..`, Calendly's `t=..,v1=..`. One parser, one verifier and one signer serve them all: each is a hex
// HMAC-SHA256 of the raw body, behind `<timestamp><joiner>` where the scheme signs a timestamp. Every signature listed
// is tried (providers send one per active secret while a secret is rolled); other keys (Stripe's v0) are ignored.
import { anyKeyMatches, decodeSignature, hmac, parseUnixSeconds, withinTolerance } from './crypto.ts';
import { fail, OK, type Verdict, type WebhookRequest } from './types.ts';

export interface SignatureHeader {
  /** Lower-case header name. */
  readonly header: string;
  /** How the header is named in messages (its usual spelling). */
  readonly label: string;
  /** What separates the items: `,` or `;`. */
  readonly separator: string;
  /** The key of each signature item (`v1`, `h1`). */
  readonly signature: string;
  /** The key of the item holding unix seconds, where the scheme signs a timestamp. */
  readonly timestamp?: string;
  /** What joins the timestamp to the body in the signed content: `.` unless the scheme says otherwise (Paddle's `:`). */
  readonly joiner?: string;
}

/** A scheme, by the header's usual spelling (`Stripe-Signature`) and how its items are laid out. */
export const signatureHeader = (label: string, scheme: Omit<SignatureHeader, 'header' | 'label'>): SignatureHeader => ({
  header: label.toLowerCase(),
  label,
  ...scheme,
});

export interface ParsedSignatureHeader {
  timestamp: number | undefined;
  signatures: Buffer[];
}

export function parseSignatureHeader(value: string, spec: SignatureHeader): ParsedSignatureHeader {
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const item of value.split(spec.separator)) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const text = item.slice(eq + 1).trim();
    if (key === spec.timestamp) timestamp = parseUnixSeconds(text);
    else if (key === spec.signature) {
      const signature = decodeSignature(text, 'hex');
      if (signature) signatures.push(signature);
    }
  }
  return { timestamp, signatures };
}

/** What is signed, for verify and sign alike. */
function signedContent(spec: SignatureHeader, timestamp: number | undefined, body: Buffer): Array<string | Buffer> {
  return spec.timestamp ? [`${timestamp}${spec.joiner ?? '.'}`, body] : [body];
}

/** Checks the header; a scheme that signs a timestamp is checked against `now` (unix seconds) within the tolerance. */
export function verifySignatureHeader(
  request: WebhookRequest,
  keys: readonly Buffer[],
  spec: SignatureHeader,
  now?: number,
  toleranceSeconds?: number,
): Verdict {
  const value = request.headers.get(spec.header);
  if (!value) return fail(`missing ${spec.label} header`);
  const { timestamp, signatures } = parseSignatureHeader(value, spec);
  if (spec.timestamp) {
    if (now === undefined || toleranceSeconds === undefined) throw new Error(`${spec.label} signs a timestamp: verify it with a tolerance`);
    if (timestamp === undefined) return fail(`${spec.label} has no timestamp`);
  }
  if (signatures.length === 0) return fail(`${spec.label} has no ${spec.signature} signature`);
  if (timestamp !== undefined && !withinTolerance(timestamp, now!, toleranceSeconds!)) return fail('timestamp outside the tolerance');
  const content = signedContent(spec, timestamp, request.body);
  return anyKeyMatches(keys, signatures, (key) => hmac('sha256', key, ...content)) ? OK : fail('signature mismatch');
}

/** The header the provider would send for this body, signed at `now` (unix seconds). */
export function signSignatureHeader(body: Buffer, secret: string, spec: SignatureHeader, now: number): Record<string, string> {
  const signature = `${spec.signature}=${hmac('sha256', secret, ...signedContent(spec, now, body)).toString('hex')}`;
  const items = spec.timestamp ? [`${spec.timestamp}=${now}`, signature] : [signature];
  return { [spec.header]: items.join(spec.separator) };
}
