// A signature scheme described by configuration rather than code, shared by the generic `hmac` and `public-key`
// providers: which header carries the signature (prefix, encoding, a separator for several), an optional timestamp
// header checked against a tolerance both ways, and the signed content as a template of {body}, {timestamp}, {url},
// {method} and {header:<name>}. Each provider adds how a signature is made and checked (an HMAC, or a public-key
// signature); the header, the timestamp and the content are read here, once, for verify and sign alike.
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import type { SignedContent } from './body-signature.ts';
import { checkTimestamp, decodeSignature, parseUnixSeconds } from './crypto.ts';
import { fail, type SignInput, type Verdict, type WebhookRequest } from './types.ts';

/** The options every template scheme has; each provider adds its algorithm. */
export const schemeFields = {
  header: z.string().min(1).toLowerCase(),
  encoding: z.enum(['hex', 'base64']).default('hex'),
  prefix: z.string().default(''),
  separator: z.string().min(1).optional(),
  timestampHeader: z.string().min(1).toLowerCase().optional(),
  timestampUnit: z.enum(['s', 'ms']).default('s'),
  toleranceSeconds: toleranceSeconds.default(300),
  signedContent: z.string().min(1).default('{body}'),
  // The full URL the sender calls, for a `{url}` template, when it differs from HOOKPIPE_PUBLIC_URL + /webhooks/<name>.
  publicUrl: z.url().optional(),
};
export type SchemeOptions = z.output<z.ZodObject<typeof schemeFields>>;

/** The rules that keep a configured scheme meaningful, refused at start-up naming the option. */
export function refineScheme(o: SchemeOptions, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (!o.signedContent.includes('{body}')) issue('signedContent', 'must contain {body}');
  if (o.signedContent.includes('{timestamp}') && !o.timestampHeader) {
    issue('timestampHeader', 'required when signedContent uses {timestamp}');
  }
  // A timestamp checked but not signed can be rewritten by anyone to pass the check: it would protect nothing.
  if (o.timestampHeader && !o.signedContent.includes('{timestamp}'))
    issue('signedContent', 'must contain {timestamp} when timestampHeader is set, or the timestamp it checks is not signed');
  if (o.publicUrl !== undefined && !o.signedContent.includes('{url}')) issue('publicUrl', 'only used by a signedContent with {url}');
  const adjacent = adjacentFields(parseTemplate(o.signedContent));
  if (adjacent) issue('signedContent', `${adjacent} must be separated by a literal, or bytes could move from one to the other`);
  if (o.signedContent.split('{body}').length > 2) issue('signedContent', 'must contain {body} once');
}

const fieldName = (part: Part) => ('header' in part ? `{header:${part.header}}` : 'field' in part ? `{${part.field}}` : undefined);

/**
 * A header field with another field and nothing between them, as `{a} and {b}`: a sender's signed
 * `{header:x}{body}` would also sign another header value with the body's first bytes moved into it. The other
 * fields are the ingress's own: `{timestamp}` is digits within the tolerance (moving one digit in or out multiplies
 * it by ten), `{method}` is POST, and `{url}` is the configured public URL (Square signs `{url}{body}`).
 */
function adjacentFields(parts: readonly Part[]): string | undefined {
  for (let i = 1; i < parts.length; i++) {
    const [a, b] = [parts[i - 1]!, parts[i]!];
    if ('literal' in a || 'literal' in b) continue;
    if ('header' in a || 'header' in b) return `${fieldName(a)} and ${fieldName(b)}`;
  }
  return undefined;
}

/** A `{url}` template binds the signature to the URL the sender called: the ingress must know it (see types.ts). */
export const schemeUrlSigning = (o: SchemeOptions) => (o.signedContent.includes('{url}') ? { publicUrl: o.publicUrl } : undefined);

type Part = { literal: string } | { field: 'body' | 'timestamp' | 'url' | 'method' } | { header: string };

const templates = new Map<string, Part[]>();

export function parseTemplate(template: string): Part[] {
  let parts = templates.get(template);
  if (parts) return parts;
  parts = [];
  const pattern = /\{(body|timestamp|url|method|header:[^}]+)\}/g;
  let last = 0;
  for (const match of template.matchAll(pattern)) {
    if (match.index > last) parts.push({ literal: template.slice(last, match.index) });
    const name = match[1]!;
    parts.push(name.startsWith('header:') ? { header: name.slice('header:'.length).toLowerCase() } : { field: name as 'body' });
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push({ literal: template.slice(last) });
  templates.set(template, parts);
  return parts;
}

/** What is signed, for verify and sign alike: the template filled in from the request. */
function signedContent(template: string, request: WebhookRequest, timestamp: string): Array<string | Buffer> {
  return parseTemplate(template).map((part) => partContent(part, request, timestamp));
}

/**
 * The header a request sends that holds the literal next to it in the template, if any. With `{header:x}.{body}`, a
 * captured delivery whose x header is `a.b` also signs x `a` with `b.` put before the body: a header value is the
 * sender's to choose, so one that holds its own separator is refused. (`{url}` is built from configuration and the
 * path; `{timestamp}` is digits.)
 */
function headerHoldingSeparator(parts: readonly Part[], request: WebhookRequest): string | undefined {
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (!('header' in part)) continue;
    const value = request.headers.get(part.header);
    if (!value) continue;
    for (const neighbour of [parts[i - 1], parts[i + 1]])
      if (neighbour && 'literal' in neighbour && value.includes(neighbour.literal)) return part.header;
  }
  return undefined;
}

/** One part of the template filled in from the request. */
function partContent(part: Part, request: WebhookRequest, timestamp: string): string | Buffer {
  if ('literal' in part) return part.literal;
  if ('header' in part) return request.headers.get(part.header) ?? '';
  switch (part.field) {
    case 'body':
      return request.body;
    case 'timestamp':
      return timestamp;
    case 'url':
      return request.url.toString();
    case 'method':
      return request.method;
  }
}

/** The timestamp as sent (it is signed as text), once checked against the tolerance; '' when the scheme has none. */
function timestampOf(request: WebhookRequest, options: SchemeOptions, now: number): Verdict & { text?: string } {
  if (!options.timestampHeader) return { ok: true, text: '' };
  const text = request.headers.get(options.timestampHeader)?.trim();
  const raw = parseUnixSeconds(text);
  const seconds = raw !== undefined && options.timestampUnit === 'ms' ? Math.floor(raw / 1000) : raw;
  const verdict = checkTimestamp(seconds, now, options.toleranceSeconds, `${options.timestampHeader} header`);
  return verdict.ok ? { ok: true, text } : verdict;
}

/** Every well-formed signature in the header: one, or several split by the separator, each behind the prefix. */
function signaturesIn(header: string, options: SchemeOptions): Buffer[] {
  const signatures: Buffer[] = [];
  for (const item of options.separator ? header.split(options.separator) : [header]) {
    const trimmed = item.trim();
    if (!trimmed.startsWith(options.prefix)) continue;
    const signature = decodeSignature(trimmed.slice(options.prefix.length), options.encoding);
    if (signature) signatures.push(signature);
  }
  return signatures;
}

/** Reads the header, checks the timestamp and fills the template in; `check` decides on the signatures found. */
export function verifyScheme(
  request: WebhookRequest,
  options: SchemeOptions,
  now: number,
  check: (content: SignedContent, signatures: Buffer[]) => Verdict,
): Verdict {
  const header = request.headers.get(options.header);
  if (!header) return fail(`missing ${options.header} header`);
  const timestamp = timestampOf(request, options, now);
  if (!timestamp.ok) return timestamp;
  const signatures = signaturesIn(header, options);
  if (signatures.length === 0) return fail(`${options.header} holds no well-formed signature`);
  const ambiguous = headerHoldingSeparator(parseTemplate(options.signedContent), request);
  if (ambiguous) return fail(`the ${ambiguous} header holds the signed content's separator`);
  return check(signedContent(options.signedContent, request, timestamp.text ?? ''), signatures);
}

/** The headers a sender of this scheme sends at `now`: the timestamp, if any, and `signature` of the content. */
export function signScheme(
  { body, now, url }: Pick<SignInput, 'body' | 'now' | 'url'>,
  options: SchemeOptions,
  signature: (content: SignedContent) => Buffer,
): Record<string, string> {
  const timestamp = options.timestampUnit === 'ms' ? String(now * 1000) : String(now);
  const headers: Record<string, string> = options.timestampHeader ? { [options.timestampHeader]: timestamp } : {};
  const request: WebhookRequest = { method: 'POST', url, headers: new Headers(headers), body };
  headers[options.header] = options.prefix + signature(signedContent(options.signedContent, request, timestamp)).toString(options.encoding);
  return headers;
}
