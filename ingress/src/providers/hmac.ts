// A generic HMAC scheme for providers without a verifier of their own: which header, which algorithm and
// encoding, an optional prefix and separator for several signatures, an optional timestamp header, and the
// signed content as a template of {body}, {timestamp}, {url}, {method} and {header:<name>}.
import { anyKeyMatches, decodeSignature, hmac, parseUnixSeconds, withinTolerance } from './crypto.ts';
import { fail, OK, type Provider, type Verdict, type WebhookRequest } from './types.ts';
import type { ProviderOptions } from '../../../shared/src/sources.ts';

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

function timestampOf(request: WebhookRequest, options: ProviderOptions<'hmac'>, now: number): Verdict & { text?: string } {
  if (!options.timestampHeader) return { ok: true, text: '' };
  const text = request.headers.get(options.timestampHeader)?.trim();
  const raw = parseUnixSeconds(text);
  if (raw === undefined || text === undefined) return fail(`missing or malformed ${options.timestampHeader} header`);
  const seconds = options.timestampUnit === 'ms' ? Math.floor(raw / 1000) : raw;
  if (!withinTolerance(seconds, now, options.toleranceSeconds)) return fail('timestamp outside the tolerance');
  return { ok: true, text };
}

export const genericHmac: Provider<'hmac'> = {
  name: 'hmac',
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
};
