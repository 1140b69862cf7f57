// Twitch EventSub, webhook transport: `Twitch-Eventsub-Message-Signature: sha256=<hex HMAC-SHA256 of message id +
// timestamp + raw body>` under the subscription's secret, with `Twitch-Eventsub-Message-Id` (the delivery id: a retry
// keeps it), `-Timestamp` (RFC 3339; Twitch says refuse one older than 10 minutes, refused here either way) and
// `-Type`: `notification`, `webhook_callback_verification` (answered with the bare challenge, text/plain, after the
// signature held, never published) or `revocation`.
//
// Revocations are published, as event type `revocation`: Twitch sends one when it ends a subscription (authorization
// revoked, user removed, too many failed deliveries, version removed), and nothing else tells the operator that
// events stopped. It lands in the ledger and reaches a handler or the dead letters like any event, and costs one
// publish on a rare message; answering it silently would leave only a log line.
// https://dev.twitch.tv/docs/eventsub/handling-webhook-events/
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import { type BodySignature, type SignedContent, signHeader, verifyHeaderSignature } from './body-signature.ts';
import { checkTimestamp, parseRfc3339Seconds } from './crypto.ts';
import { asObject, parseJsonBody, textAt } from './fields.ts';
import { refusal } from './handshake.ts';
import { jsonSample } from './sample.ts';
import { defineProvider, fail, type WebhookRequest } from './types.ts';

const ID = 'twitch-eventsub-message-id';
const TIMESTAMP = 'twitch-eventsub-message-timestamp';
const TYPE = 'twitch-eventsub-message-type';
const SIGNATURE: BodySignature = {
  header: 'twitch-eventsub-message-signature',
  label: 'Twitch-Eventsub-Message-Signature',
  prefix: 'sha256=',
  encoding: 'hex',
};
const VERIFICATION = 'webhook_callback_verification';
const REVOCATION = 'revocation';

/** What Twitch signs, for verify and sign alike: the id and the timestamp as sent, then the body. */
const signedContent = (id: string, timestamp: string, body: Buffer): SignedContent => [id, timestamp, body];

/**
 * The challenges echoed: printable ASCII, bounded. Twitch's page shows `pogchamp-kappa-360noscope-vohiyo`. The echo
 * computes nothing with the secret and answers only a signed, fresh request, so it is outside the rule for handshakes
 * that compute with a key (handshake.ts); the bound keeps a reflected string short and plain all the same.
 */
const CHALLENGE = /^[\x21-\x7e]{1,512}$/;

/**
 * The message type header is not signed: a replayed delivery may carry another. So a body with a challenge is a
 * verification whatever the header says (and is never published), and a header's word alone makes nothing a
 * verification that has no challenge to echo.
 */
function isVerification(payload: unknown, request: WebhookRequest): boolean {
  return request.headers.get(TYPE) === VERIFICATION || textAt(payload, 'challenge') !== undefined;
}

/** The message type a body is, for `sign`: a challenge is a verification, a subscription without an event a revocation. */
function messageTypeOf(body: Buffer): string {
  const payload = asObject(parseJsonBody(body));
  if (payload === undefined || Object.hasOwn(payload, 'event')) return 'notification';
  return textAt(payload, 'challenge') === undefined ? REVOCATION : VERIFICATION;
}

export const twitch = defineProvider({
  name: 'twitch',
  options: () => z.object({ toleranceSeconds: toleranceSeconds.default(600) }).strict(),
  json: true,
  verify(request, keys, options, now) {
    const id = request.headers.get(ID);
    if (!id) return fail('missing Twitch-Eventsub-Message-Id header');
    const timestamp = request.headers.get(TIMESTAMP);
    const fresh = checkTimestamp(parseRfc3339Seconds(timestamp), now, options.toleranceSeconds, 'Twitch-Eventsub-Message-Timestamp header');
    if (!fresh.ok) return fresh;
    return verifyHeaderSignature(request, keys, SIGNATURE, signedContent(id, timestamp!, request.body));
  },
  describe(request, payload) {
    const revoked = request.headers.get(TYPE) === REVOCATION;
    const eventType = revoked ? REVOCATION : textAt(payload(), 'subscription', 'type');
    return { deliveryId: request.headers.get(ID) ?? undefined, eventType };
  },
  challenge(payload, request) {
    if (!isVerification(payload, request)) return undefined;
    const challenge = textAt(payload, 'challenge');
    if (challenge === undefined || !CHALLENGE.test(challenge)) {
      return refusal('bad_request', 'this verification has no challenge Twitch sends');
    }
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: challenge };
  },
  sign({ body, now, id }, secret) {
    const timestamp = new Date(now * 1000).toISOString();
    return {
      [ID]: id,
      [TIMESTAMP]: timestamp,
      [TYPE]: messageTypeOf(body),
      ...signHeader(secret, SIGNATURE, signedContent(id, timestamp, body)),
    };
  },
  sample(now, eventType = 'channel.follow') {
    const at = new Date(now * 1000).toISOString();
    const subscription = {
      id: randomUUID(),
      status: 'enabled',
      type: eventType,
      version: '2',
      cost: 0,
      condition: { broadcaster_user_id: '1337', moderator_user_id: '1337' },
      transport: { method: 'webhook', callback: 'https://example.com/webhooks/twitch' },
      created_at: at,
    };
    const event = { user_id: '1234', user_login: 'cool_user', user_name: 'Cool_User', broadcaster_user_id: '1337', followed_at: at };
    return { ...jsonSample({ subscription, event }), id: randomUUID() };
  },
});
