// X (Twitter) Account Activity: GET `?crc_token=` is answered with
// `{"response_token":"sha256=<base64 HMAC-SHA256(consumer secret, crc_token)>"}`; POSTs carry
// `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256 of the body>`, bodies being JSON objects.
// https://docs.x.com/x-api/webhooks/quickstart
import { z } from 'zod';
import { type BodySignature, signBody, verifyBodySignature } from './body-signature.ts';
import { hmac } from './crypto.ts';
import { JSON_OBJECT, refusal, signableChallenge } from './handshake.ts';
import { jsonSample, randomToken } from './sample.ts';
import { defineProvider, fail } from './types.ts';

const HEADER = 'x-twitter-webhooks-signature';
const SIGNATURE: BodySignature = { header: HEADER, label: HEADER, prefix: 'sha256=', encoding: 'base64' };

/**
 * The crc_tokens the CRC answer may sign. X's pages show `GET ...?crc_token=challenge_string` and say the token
 * changes with every check; a real check, as logged by a receiver, carries 48 characters of base64 (of a UUID) and a
 * separate `nonce` parameter. The base64 and base64url alphabets up to 256 characters hold both with room to spare,
 * and can never spell a JSON object, the only body X's `verify` accepts: the two sets are disjoint, so no CRC
 * answer is a POST signature (handshake.ts).
 * https://docs.x.com/x-api/webhooks/quickstart
 * https://developer.x.com/content/developer-twitter/en/docs/twitter-api/enterprise/account-activity-api/guides/securing-webhooks
 */
const CRC_TOKEN = /^[A-Za-z0-9+/=_-]{1,256}$/;

export const x = defineProvider({
  name: 'x',
  options: () => z.object({}).strict(),
  json: true,
  verify(request, keys) {
    // Before the signature, and whatever the source's `json:` says: see CRC_TOKEN.
    if (!JSON_OBJECT.accepts(request.body)) return fail(`an X body is ${JSON_OBJECT.label}`);
    return verifyBodySignature(request, keys, SIGNATURE);
  },
  describe(_request, payload) {
    const body = payload();
    if (body === null || typeof body !== 'object') return {};
    return { eventType: Object.keys(body).find((key) => key.endsWith('_events')) };
  },
  handshake(request, keys) {
    const query = request.url.searchParams;
    if (!query.has('crc_token')) return undefined;
    const token = signableChallenge(query.get('crc_token'), CRC_TOKEN, JSON_OBJECT);
    if (token === undefined) return refusal('bad_request', 'crc_token is not a token X sends');
    // The CRC answer proves the current consumer secret: the first one listed.
    const responseToken = `sha256=${hmac('sha256', keys[0]!, token).toString('base64')}`;
    return { status: 200, contentType: 'application/json', body: JSON.stringify({ response_token: responseToken }) };
  },
  sign: ({ body }, secret) => signBody(body, secret, SIGNATURE),
  sample(now, eventType = 'tweet_create_events') {
    const id = String(now) + randomToken(4).replace(/\D/g, '1');
    const event = { id_str: id, text: 'hello @hookpipe', user: { screen_name: 'someone' } };
    return jsonSample({ for_user_id: '2244994945', [eventType]: [event] });
  },
});
