// Mailgun: the signature travels in the body. Webhooks post JSON, `{"signature":{"timestamp","token","signature"},
// "event-data":{...}}`, legacy ones a form with `timestamp`, `token` and `signature` fields; signature = hex
// HMAC-SHA256(the webhook signing key, timestamp + token). A subaccount's events also carry `parent-signature`, made
// with the primary account's key: either one matching is enough, so a source may hold either account's key.
//
// Only timestamp and token are signed, not the event: anyone who sees one delivery (a proxy's log, say) can post its
// signature again with the same or another event inside the tolerance. Replays of the same event are duplicates to
// the ledger, keyed by `event-data.id`; a different event under a replayed token is not caught here. A source that
// wants each token used once can key its ledger on it: `deliveryId: { pointer: /signature/token }` (a retry that
// Mailgun signs afresh then runs the handler twice, which handlers tolerate anyway). Legacy forms have no event id:
// their token is their delivery id.
// https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import { anyKeyMatches, checkTimestamp, decodeSignature, hmac, parseUnixSeconds } from './crypto.ts';
import { asObject, formFields, isForm, parseJsonBody, textAt } from './fields.ts';
import { jsonSample, randomHex, randomToken } from './sample.ts';
import { defineProvider, fail, OK, type WebhookRequest } from './types.ts';

const FORM = 'application/x-www-form-urlencoded';

interface Stamp {
  timestamp: string | undefined;
  token: string | undefined;
  /** `signature`, and `parent-signature` where Mailgun adds one. */
  signatures: Array<string | undefined>;
}

/**
 * The signature fields, from the form or the JSON body. The JSON is parsed before verification, unlike any other
 * provider's, since that is where Mailgun puts the signature: one linear parse of a body already within the source's
 * `maxBodyBytes`, and nothing in it is used until the signature has held.
 */
function stampOf(request: WebhookRequest): Stamp | undefined {
  if (isForm(request.headers)) {
    const fields = new Map(formFields(request.body));
    return { timestamp: fields.get('timestamp'), token: fields.get('token'), signatures: [fields.get('signature')] };
  }
  const body = parseJsonBody(request.body);
  if (body === undefined) return undefined;
  const at = (field: string) => textAt(body, 'signature', field);
  return { timestamp: at('timestamp'), token: at('token'), signatures: [at('signature'), at('parent-signature')] };
}

/** What Mailgun signs, for verify and seal alike. */
const digest = (key: Buffer | string, timestamp: string, token: string) => hmac('sha256', key, timestamp, token);

export const mailgun = defineProvider({
  name: 'mailgun',
  options: () => z.object({ toleranceSeconds: toleranceSeconds.default(300) }).strict(),
  // Legacy webhooks post forms.
  json: false,
  verify(request, keys, options, now) {
    const stamp = stampOf(request);
    const { timestamp, token } = stamp ?? {};
    if (!stamp || timestamp === undefined || token === undefined) {
      return fail('missing Mailgun signature fields (timestamp, token, signature)');
    }
    const fresh = checkTimestamp(parseUnixSeconds(timestamp), now, options.toleranceSeconds, 'Mailgun signature timestamp');
    if (!fresh.ok) return fresh;
    const given = stamp.signatures.flatMap((text) => decodeSignature(text ?? '', 'hex') ?? []);
    if (given.length === 0) return fail('missing Mailgun signature, or not hex');
    return anyKeyMatches(keys, given, (key) => digest(key, timestamp, token)) ? OK : fail('signature mismatch');
  },
  describe(request, payload) {
    if (isForm(request.headers)) {
      const fields = new Map(formFields(request.body));
      return { deliveryId: fields.get('token'), eventType: fields.get('event') };
    }
    const body = payload();
    return { deliveryId: textAt(body, 'event-data', 'id'), eventType: textAt(body, 'event-data', 'event') };
  },
  seal({ body, now, contentType }, secret) {
    const timestamp = String(now);
    const token = randomHex(25);
    const signature = digest(secret, timestamp, token).toString('hex');
    if (contentType.startsWith(FORM)) {
      const fields = new URLSearchParams(body.toString('utf8'));
      for (const [name, value] of Object.entries({ timestamp, token, signature })) fields.set(name, value);
      return Buffer.from(fields.toString());
    }
    const parsed = asObject(parseJsonBody(body));
    if (!parsed) throw new TypeError('a Mailgun body is a JSON object, or a form');
    return Buffer.from(JSON.stringify({ ...parsed, signature: { timestamp, token, signature } }));
  },
  // Everything is in the body (`seal`).
  sign: () => ({}),
  sample(now, eventType = 'delivered') {
    const message = { headers: { 'message-id': `${randomToken(20)}@mg.example.com`, to: 'alice@example.com', subject: 'Your receipt' } };
    return jsonSample({
      'event-data': { id: randomToken(22), timestamp: now + 0.25, event: eventType, recipient: 'alice@example.com', message },
    });
  },
});
