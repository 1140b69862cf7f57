// Discord webhook events (and the interactions endpoint's PING): `X-Signature-Ed25519` holds the hex Ed25519
// signature of `<X-Signature-Timestamp><raw body>` by the application's key; the source lists the application's
// "Public Key" from the developer portal (64 hex characters, the raw key) under `publicKeys`.
// https://discord.com/developers/docs/events/webhook-events
// https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers
//
// Webhook events are `{version, application_id, type, event?}`: type 0 is the PING Discord sends when the URL is saved,
// to be answered 204 with no body; type 1 an event, to be acknowledged with 204 within 3 s, else Discord retries with
// backoff for up to 10 minutes. Interactions (`{id, token, type, ...}`) start with a PING of type 1, answered
// `{"type":1}` (PONG). Both PINGs are told apart by shape, as one URL only ever receives one of the two kinds.
import { contentId } from './crypto.ts';
import { textAt } from './fields.ts';
import { presetScheme, toleranceOptions } from './public-key.ts';
import { jsonSample, randomToken } from './sample.ts';
import { defineProvider, type Reply } from './types.ts';

const SCHEME = presetScheme({
  algorithm: 'ed25519',
  header: 'x-signature-ed25519',
  encoding: 'hex',
  prefix: '',
  timestampHeader: 'x-signature-timestamp',
  timestampUnit: 's',
  signedContent: '{timestamp}{body}',
});

const NO_CONTENT: Reply = { status: 204, contentType: 'application/json', body: '' };
const PONG: Reply = { status: 200, contentType: 'application/json', body: '{"type":1}' };

/** Interaction types, for the event type of an interaction. https://discord.com/developers/docs/interactions/receiving-and-responding */
const INTERACTIONS: Record<string, string> = {
  '2': 'APPLICATION_COMMAND',
  '3': 'MESSAGE_COMPONENT',
  '4': 'APPLICATION_COMMAND_AUTOCOMPLETE',
  '5': 'MODAL_SUBMIT',
};

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const isWebhookEvent = (payload: unknown): boolean => isObject(payload) && !('token' in payload);

export const discord = defineProvider({
  name: 'discord',
  // Discord retries for up to 10 minutes and does not say whether a retry is signed afresh: a window as wide keeps
  // every retry acceptable, and a replay inside it is a duplicate of the same body (its delivery id, below).
  options: toleranceOptions(600),
  json: true,
  ...SCHEME,
  describe(request, payload) {
    const body = payload();
    // Webhook events carry no id: the body names the event and its time, so a retry of it is the same body.
    if (isWebhookEvent(body)) return { deliveryId: `discord-${contentId(request.body)}`, eventType: textAt(body, 'event', 'type') };
    const type = textAt(body, 'type');
    return { deliveryId: textAt(body, 'id'), eventType: type === undefined ? undefined : (INTERACTIONS[type] ?? `interaction.${type}`) };
  },
  // Outside the rule for handshakes that compute with a secret (handshake.ts): it runs only after the POST passed
  // Discord's signature, and the answer is a constant, derived from nothing in the request and from no key.
  challenge(payload) {
    const type = textAt(payload, 'type');
    if (isWebhookEvent(payload)) return type === '0' ? NO_CONTENT : undefined;
    return type === '1' ? PONG : undefined;
  },
  // What Discord asks of webhook events, once the publish is confirmed. (An interaction other than the PING needs an
  // interaction response within 3 s, which a queue cannot give: this endpoint is for webhook events.)
  accepted: NO_CONTENT,
  sample(now, eventType = 'APPLICATION_AUTHORIZED') {
    const user = { id: String(now) + randomToken(6).replace(/\D/g, '7'), username: `someone_${randomToken(6)}`, global_name: 'Someone' };
    const data = { integration_type: 1, scopes: ['applications.commands'], user };
    const event = { type: eventType, timestamp: new Date(now * 1000).toISOString(), data };
    return jsonSample({ version: 1, application_id: '1234567890123456789', type: 1, event });
  },
});
