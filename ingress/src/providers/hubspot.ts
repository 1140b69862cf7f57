// HubSpot, v3 signatures: `X-HubSpot-Signature-v3` = base64 HMAC-SHA256(the app's client secret, method + URI + raw
// body + timestamp), the timestamp being `X-HubSpot-Request-Timestamp` in milliseconds (HubSpot says refuse one older
// than 5 minutes; refused here either way). The URI is the one HubSpot called, with the URL-encoded characters HubSpot
// lists decoded, so the source needs its public URL (`urlSigning`). The older v1 and v2 headers are ignored.
// https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import { type BodySignature, type SignedContent, signHeader, verifyHeaderSignature } from './body-signature.ts';
import { checkTimestamp, contentId, parseUnixSeconds } from './crypto.ts';
import { textAt } from './fields.ts';
import { jsonSample } from './sample.ts';
import { defineProvider, type WebhookRequest } from './types.ts';

const SIGNATURE: BodySignature = { header: 'x-hubspot-signature-v3', label: 'X-HubSpot-Signature-v3', prefix: '', encoding: 'base64' };
const TIMESTAMP = 'x-hubspot-request-timestamp';

/** The characters HubSpot decodes in the URI before signing; any other escape stays as it is. */
const DECODED: Readonly<Record<string, string>> = {
  '3A': ':',
  '2F': '/',
  '3F': '?',
  '40': '@',
  '21': '!',
  '24': '$',
  '27': "'",
  '28': '(',
  '29': ')',
  '2A': '*',
  '2C': ',',
  '3B': ';',
};

export const hubspotUri = (url: URL): string =>
  url.toString().replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (_escape, hex: string) => DECODED[hex.toUpperCase()]!);

/** What HubSpot signs, for verify and sign alike. */
const signedContent = (request: Pick<WebhookRequest, 'method' | 'url' | 'body'>, timestamp: string): SignedContent => [
  request.method,
  hubspotUri(request.url),
  request.body,
  timestamp,
];

/**
 * A batch's identity. HubSpot's `eventId` "is not guaranteed to be unique", and a retry repeats the batch with each
 * `attemptNumber` raised, so neither the ids nor the body's digest serve: the digest of every event but its
 * `attemptNumber` does (the same events, retried, give the same id; two batches that differ in anything else do not).
 * https://developers.hubspot.com/docs/apps/legacy-apps/public-apps/create-generic-webhook-subscriptions (payload fields)
 */
function batchId(events: unknown[]): string {
  const withoutAttempt = events.map((event) =>
    JSON.stringify(event, (key, value: unknown) => (key === 'attemptNumber' ? undefined : value)),
  );
  return `hubspot-${contentId(withoutAttempt.join('\n'))}`;
}

export const hubspot = defineProvider({
  name: 'hubspot',
  // The target URL given to HubSpot, when it differs from HOOKPIPE_PUBLIC_URL + /webhooks/<name>.
  options: () => z.object({ toleranceSeconds: toleranceSeconds.default(300), publicUrl: z.url().optional() }).strict(),
  json: true,
  urlSigning: (options) => ({ publicUrl: options.publicUrl }),
  verify(request, keys, options, now) {
    const timestamp = request.headers.get(TIMESTAMP)?.trim();
    const millis = parseUnixSeconds(timestamp);
    const seconds = millis === undefined ? undefined : Math.floor(millis / 1000);
    const fresh = checkTimestamp(seconds, now, options.toleranceSeconds, 'X-HubSpot-Request-Timestamp header');
    if (!fresh.ok) return fresh;
    return verifyHeaderSignature(request, keys, SIGNATURE, signedContent(request, timestamp!));
  },
  describe(_request, payload) {
    // A batch of up to 100 events, of one subscription type or several: a handler asking for `contact.creation`
    // gets batches of that type alone, and a mixed batch is `mixed`, for a handler that takes HubSpot batches whole.
    const events = payload();
    if (!Array.isArray(events) || events.length === 0) return {};
    const types = new Set(events.map((event) => textAt(event, 'subscriptionType')));
    const [only] = types;
    return { deliveryId: batchId(events), eventType: types.size === 1 ? only : 'mixed' };
  },
  sign({ body, now, url }, secret) {
    const timestamp = String(now * 1000);
    return { [TIMESTAMP]: timestamp, ...signHeader(secret, SIGNATURE, signedContent({ method: 'POST', url, body }, timestamp)) };
  },
  sample(now, eventType = 'contact.creation') {
    const objectId = (now % 100_000) * 1000 + Math.floor(Math.random() * 1000);
    return jsonSample([
      {
        eventId: objectId + 7,
        subscriptionId: 2863543,
        portalId: 62515,
        appId: 54321,
        occurredAt: now * 1000,
        subscriptionType: eventType,
        attemptNumber: 0,
        objectId,
        changeSource: 'CRM',
        changeFlag: 'NEW',
      },
    ]);
  },
});
