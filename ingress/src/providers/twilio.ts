// Twilio: `X-Twilio-Signature` = base64 HMAC-SHA1 of the full URL Twilio called followed, for form posts, by every
// POST field sorted by name, each name then value. JSON posts carry `bodySHA256` in the query string instead and
// the signature covers the URL alone. Behind a proxy the URL must be the public one (see `publicUrl`).
import { createHash } from 'node:crypto';
import { anyKeyMatches, decodeSignature, hmac, safeEqual } from './crypto.ts';
import { formFields, isForm } from './fields.ts';
import { fail, OK, type Provider, type WebhookRequest } from './types.ts';

export function twilioSignedContent(url: string, fields: Array<[string, string]> | undefined): string {
  if (!fields) return url;
  const sorted = [...fields].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return url + sorted.map(([name, value]) => name + value).join('');
}

/** The URL Twilio signed: the configured public URL if any (keeping the request's query), else the request's. */
function signedUrl(request: WebhookRequest, publicUrl: string | undefined): URL {
  if (publicUrl === undefined) return request.url;
  const url = new URL(publicUrl);
  if (url.search === '') url.search = request.url.search;
  return url;
}

/** Twilio's own libraries accept the URL with and without the default port; so does this. */
function urlVariants(url: URL): string[] {
  const text = url.toString();
  if (url.port !== '') return [text];
  // URL drops a default port, so it is spliced in by hand.
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  return [text, text.replace(`//${url.host}`, `//${url.host}:${defaultPort}`)];
}

export const twilio: Provider<'twilio'> = {
  name: 'twilio',
  verify(request, keys, options) {
    const header = request.headers.get('x-twilio-signature');
    if (!header) return fail('missing X-Twilio-Signature header');
    const signature = decodeSignature(header, 'base64');
    if (!signature) return fail('X-Twilio-Signature is not base64');
    const url = signedUrl(request, options.publicUrl);
    let fields: Array<[string, string]> | undefined;
    if (isForm(request.headers)) {
      fields = formFields(request.body);
    } else {
      const declared = decodeSignature(url.searchParams.get('bodySHA256') ?? '', 'hex');
      if (!declared) return fail('a non-form Twilio request needs bodySHA256 in its URL');
      if (!safeEqual(createHash('sha256').update(request.body).digest(), declared)) return fail('body does not match bodySHA256');
    }
    const matched = urlVariants(url).some((candidate) =>
      anyKeyMatches(keys, [signature], (key) => hmac('sha1', key, twilioSignedContent(candidate, fields))),
    );
    return matched ? OK : fail('signature mismatch');
  },
  describe(request) {
    const deliveryId = request.headers.get('i-twilio-idempotency-token') ?? undefined;
    if (!isForm(request.headers)) return { deliveryId };
    const fields = new Map(formFields(request.body));
    const status = fields.get('MessageStatus') ?? fields.get('SmsStatus');
    const callStatus = fields.get('CallStatus');
    return { deliveryId, eventType: status ? `message.${status}` : callStatus ? `call.${callStatus}` : undefined };
  },
  sign({ body, url, contentType, id }, secret, options) {
    const target = options.publicUrl ? new URL(options.publicUrl) : url;
    const fields = contentType.startsWith('application/x-www-form-urlencoded') ? formFields(body) : undefined;
    return {
      'x-twilio-signature': hmac('sha1', secret, twilioSignedContent(target.toString(), fields)).toString('base64'),
      'i-twilio-idempotency-token': id,
    };
  },
};
