// Twilio: `X-Twilio-Signature` = base64 HMAC-SHA1 of the full URL Twilio called followed, for form posts, by every
// POST field sorted by name, each name then value. JSON posts carry `bodySHA256` in the query string instead and
// the signature covers the URL alone. The URL is the public one: the ingress builds it from `publicUrl` or
// HOOKPIPE_PUBLIC_URL, never from X-Forwarded-Host (ingest.ts), which is why this provider declares `urlSigning`.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { anyKeyMatches, decodeSignature, hmac, safeEqual } from './crypto.ts';
import { formFields, isForm } from './fields.ts';
import { randomHex } from './sample.ts';
import { defineProvider, fail, OK } from './types.ts';

const FORM = 'application/x-www-form-urlencoded';

/** What Twilio signs, for verify and sign alike: the URL, then each form field sorted by name (none for JSON). */
export function twilioSignedContent(url: string, fields: Array<[string, string]> | undefined): string {
  if (!fields) return url;
  const sorted = [...fields].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return url + sorted.map(([name, value]) => name + value).join('');
}

/** Twilio's own libraries accept the URL with and without the default port; so does this. */
function urlVariants(url: URL): string[] {
  const text = url.toString();
  if (url.port !== '') return [text];
  // URL drops a default port, so it is spliced in by hand.
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  return [text, text.replace(`//${url.host}`, `//${url.host}:${defaultPort}`)];
}

export const twilio = defineProvider({
  name: 'twilio',
  // The full URL Twilio is given for this source, when it differs from HOOKPIPE_PUBLIC_URL + /webhooks/<name>.
  options: () => z.object({ publicUrl: z.url().optional() }).strict(),
  json: false,
  urlSigning: (options) => ({ publicUrl: options.publicUrl }),
  verify(request, keys) {
    const header = request.headers.get('x-twilio-signature');
    if (!header) return fail('missing X-Twilio-Signature header');
    const signature = decodeSignature(header, 'base64');
    if (!signature) return fail('X-Twilio-Signature is not base64');
    let fields: Array<[string, string]> | undefined;
    if (isForm(request.headers)) {
      fields = formFields(request.body);
    } else {
      const declared = decodeSignature(request.url.searchParams.get('bodySHA256') ?? '', 'hex');
      if (!declared) return fail('a non-form Twilio request needs bodySHA256 in its URL');
      if (!safeEqual(createHash('sha256').update(request.body).digest(), declared)) return fail('body does not match bodySHA256');
    }
    const matched = urlVariants(request.url).some((candidate) =>
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
  sign({ body, url, contentType, id }, secret) {
    const fields = contentType.startsWith(FORM) ? formFields(body) : undefined;
    return {
      'x-twilio-signature': hmac('sha1', secret, twilioSignedContent(url.toString(), fields)).toString('base64'),
      'i-twilio-idempotency-token': id,
    };
  },
  sample(_now, eventType = 'delivered') {
    const fields = new URLSearchParams({
      AccountSid: `AC${randomHex(16)}`,
      MessageSid: `SM${randomHex(16)}`,
      MessageStatus: eventType,
      From: '+15557654321',
      To: '+15551234567',
    });
    return { body: Buffer.from(fields.toString()), contentType: FORM };
  },
});
