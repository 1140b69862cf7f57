// A generic HMAC scheme for providers without a verifier of their own: which header, which algorithm and
// encoding, an optional prefix and separator for several signatures, an optional timestamp header, and the
// signed content as a template of {body}, {timestamp}, {url}, {method} and {header:<name>}.
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import { anyKeyMatches, decodeSignature, hmac, parseUnixSeconds, withinTolerance } from './crypto.ts';
import { genericSample } from './sample.ts';
import { defineProvider, fail, OK, type Verdict, type WebhookRequest } from './types.ts';

const options = () =>
  z
    .object({
      header: z.string().min(1).toLowerCase(),
      algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
      encoding: z.enum(['hex', 'base64']).default('hex'),
      prefix: z.string().default(''),
      separator: z.string().min(1).optional(),
      timestampHeader: z.string().min(1).toLowerCase().optional(),
      timestampUnit: z.enum(['s', 'ms']).default('s'),
      toleranceSeconds: toleranceSeconds.default(300),
      signedContent: z.string().min(1).default('{body}'),
      // The full URL the sender calls, for a `{url}` template, when it differs from HOOKPIPE_PUBLIC_URL + /webhooks/<name>.
      publicUrl: z.url().optional(),
    })
    .strict()
    .superRefine((o, ctx) => {
      const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
      if (!o.signedContent.includes('{body}')) issue('signedContent', 'must contain {body}');
      if (o.signedContent.includes('{timestamp}') && !o.timestampHeader) {
        issue('timestampHeader', 'required when signedContent uses {timestamp}');
      }
      // A timestamp checked but not signed can be rewritten by anyone to pass the check: it would protect nothing.
      if (o.timestampHeader && !o.signedContent.includes('{timestamp}'))
        issue('signedContent', 'must contain {timestamp} when timestampHeader is set, or the timestamp it checks is not signed');
      if (o.publicUrl !== undefined && !o.signedContent.includes('{url}')) issue('publicUrl', 'only used by a signedContent with {url}');
    });
type HmacOptions = z.output<ReturnType<typeof options>>;

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
function signedContent(parts: Part[], request: WebhookRequest, timestamp: string): Array<string | Buffer> {
  return parts.map((part) => {
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
  });
}

function timestampOf(request: WebhookRequest, options: HmacOptions, now: number): Verdict & { text?: string } {
  if (!options.timestampHeader) return { ok: true, text: '' };
  const text = request.headers.get(options.timestampHeader)?.trim();
  const raw = parseUnixSeconds(text);
  if (raw === undefined || text === undefined) return fail(`missing or malformed ${options.timestampHeader} header`);
  const seconds = options.timestampUnit === 'ms' ? Math.floor(raw / 1000) : raw;
  if (!withinTolerance(seconds, now, options.toleranceSeconds)) return fail('timestamp outside the tolerance');
  return { ok: true, text };
}

export const genericHmac = defineProvider({
  name: 'hmac',
  options,
  json: false,
  urlSigning: (o) => (o.signedContent.includes('{url}') ? { publicUrl: o.publicUrl } : undefined),
  verify(request, keys, options, now) {
    const header = request.headers.get(options.header);
    if (!header) return fail(`missing ${options.header} header`);
    const timestamp = timestampOf(request, options, now);
    if (!timestamp.ok) return timestamp;
    const items = options.separator ? header.split(options.separator) : [header];
    const signatures: Buffer[] = [];
    for (const item of items) {
      const trimmed = item.trim();
      if (!trimmed.startsWith(options.prefix)) continue;
      const signature = decodeSignature(trimmed.slice(options.prefix.length), options.encoding);
      if (signature) signatures.push(signature);
    }
    if (signatures.length === 0) return fail(`${options.header} holds no well-formed signature`);
    const content = signedContent(parseTemplate(options.signedContent), request, timestamp.text ?? '');
    return anyKeyMatches(keys, signatures, (key) => hmac(options.algorithm, key, ...content)) ? OK : fail('signature mismatch');
  },
  describe: () => ({}),
  sign({ body, now, url }, secret, options) {
    const timestamp = options.timestampUnit === 'ms' ? String(now * 1000) : String(now);
    const headers: Record<string, string> = options.timestampHeader ? { [options.timestampHeader]: timestamp } : {};
    const request: WebhookRequest = { method: 'POST', url, headers: new Headers(headers), body };
    const content = signedContent(parseTemplate(options.signedContent), request, timestamp);
    headers[options.header] = options.prefix + hmac(options.algorithm, secret, ...content).toString(options.encoding);
    return headers;
  },
  sample: genericSample,
});
