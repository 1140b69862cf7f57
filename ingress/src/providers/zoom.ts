// Zoom: `x-zm-signature: v0=<hex HMAC-SHA256 of "v0:<x-zm-request-timestamp>:<raw body>">`, Slack's `v0` scheme under
// Zoom's header names (slack.ts). The `endpoint.url_validation` POST (when the URL is set, then every 72 hours) is
// answered with `{"plainToken","encryptedToken"}`, encryptedToken being hex HMAC-SHA256(secret token, plainToken).
// https://developers.zoom.us/docs/api/webhooks/ ("Verify webhook events", "Validate your webhook endpoint")
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import { verifyHeaderSignature } from './body-signature.ts';
import { contentId, hmac } from './crypto.ts';
import { textAt } from './fields.ts';
import { type BodyShape, refusal, signableChallenge } from './handshake.ts';
import { jsonSample, randomToken } from './sample.ts';
import { signV0, type V0Scheme, v0Content, verifyV0 } from './slack.ts';
import { defineProvider, type WebhookRequest } from './types.ts';

const ZOOM: V0Scheme = {
  signature: { header: 'x-zm-signature', label: 'x-zm-signature', prefix: 'v0=', encoding: 'hex' },
  timestampHeader: 'x-zm-request-timestamp',
  timestampLabel: 'x-zm-request-timestamp',
};

/** Everything Zoom's secret token signs besides the validation answer: the `v0` content, which starts "v0:". */
const SIGNED_CONTENT: BodyShape = {
  label: 'Zoom signed content ("v0:" first)',
  accepts: (bytes) => Buffer.from(bytes.subarray(0, 3)).toString('latin1') === 'v0:',
};

/**
 * The plainTokens the validation answer may sign. Zoom's page shows `qgg8vlvZRS6UYooatFL8Aw`, 22 characters of
 * base64url; the base64 and base64url alphabets up to 256 characters hold it with room to spare, and have no ":", so
 * no plainToken can be a `v0` content: no answer is ever the signature of a Zoom delivery (handshake.ts). Besides,
 * the validation request is itself a signed, fresh Zoom delivery: `challenge` runs only after `verify` held.
 */
const PLAIN_TOKEN = /^[A-Za-z0-9+/=_-]{1,256}$/;

/** The secret token that signed this (verified) request: the one Zoom expects the answer under, rotation or not. */
function signingKey(request: WebhookRequest, keys: readonly Buffer[]): Buffer {
  const content = v0Content(request.headers.get(ZOOM.timestampHeader)?.trim() ?? '', request.body);
  return keys.find((key) => verifyHeaderSignature(request, [key], ZOOM.signature, content).ok) ?? keys[0]!;
}

export const zoom = defineProvider({
  name: 'zoom',
  options: () => z.object({ toleranceSeconds: toleranceSeconds.default(300) }).strict(),
  json: true,
  verify: (request, keys, options, now) => verifyV0(request, keys, ZOOM, options.toleranceSeconds, now),
  describe(request, payload) {
    // Zoom sends no delivery id. `event` + `event_ts` can be shared by two events (two participants joining in the
    // same millisecond), which the ledger would take for one: the body's digest tells them apart, and a retry,
    // which repeats the body, keeps it.
    const body = payload();
    const at = textAt(body, 'event_ts');
    return { deliveryId: `${at ?? 'zoom'}-${contentId(request.body)}`, eventType: textAt(body, 'event') };
  },
  challenge(payload, request, keys) {
    if (textAt(payload, 'event') !== 'endpoint.url_validation') return undefined;
    const plainToken = signableChallenge(textAt(payload, 'payload', 'plainToken') ?? null, PLAIN_TOKEN, SIGNED_CONTENT);
    // A validation is never published, answered or not.
    if (plainToken === undefined) return refusal('bad_request', 'plainToken is not a token Zoom sends');
    const encryptedToken = hmac('sha256', signingKey(request, keys), plainToken).toString('hex');
    return { status: 200, contentType: 'application/json', body: JSON.stringify({ plainToken, encryptedToken }) };
  },
  sign: ({ body, now }, secret) => signV0(body, secret, ZOOM, now),
  sample(now, eventType = 'meeting.started') {
    const meeting = { uuid: `${randomToken(22)}==`, id: 85746065432, host_id: randomToken(22), topic: 'Weekly sync', type: 2 };
    return jsonSample({
      event: eventType,
      event_ts: now * 1000 + 123,
      payload: { account_id: randomToken(22), object: { ...meeting, start_time: new Date(now * 1000).toISOString(), timezone: 'UTC' } },
    });
  },
});
