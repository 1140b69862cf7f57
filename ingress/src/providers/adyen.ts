// Adyen standard webhooks: a JSON body `{"live","notificationItems":[{"NotificationRequestItem":{...}}]}` whose every
// item carries its own `additionalData.hmacSignature`: base64 HMAC-SHA256, under the hex-decoded HMAC key, of
//   pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success
// (`value` and `currency` from `amount`; an absent field is empty). The values are joined as they are: the backslash
// and colon escaping in Adyen's docs belongs to the retired key-value (HPP) signatures, and Adyen's own libraries
// join notification fields unescaped. Every item must verify, or the request is refused whole: publishing the good
// items of a forged batch would accept it in part.
// https://docs.adyen.com/development-resources/webhooks/secure-webhooks/verify-hmac-signatures
// https://github.com/Adyen/adyen-node-api-library/blob/main/src/utils/hmacValidator.ts (getDataToSign)
//
// What the HMAC does not cover: the other fields of an item (eventDate, reason, paymentMethod, additionalData, and
// `live`), and time (nothing is timestamped, so a captured notification can be sent again). The delivery id is made of
// signed fields only, so a replay, altered or not, is the same delivery to the ledger. Adyen's basic authentication,
// which covers the request as a whole, can be required as well (`basicAuth`).
//
// Adyen marks a webhook delivered on any 2xx since 2024; integrations built before answered `[accepted]` with 200, and
// that answer satisfies both, so it is the answer here (`accepted`), given only once Pub/Sub confirmed the publish.
// https://www.adyen.com/knowledge-hub/webhooks-accept-2xx
import { z } from 'zod';
import { singleSecret } from '../../../shared/src/sources.ts';
import { anyKeyMatches, decodeSignature, hmac } from './crypto.ts';
import { textAt } from './fields.ts';
import { jsonSample, randomToken } from './sample.ts';
import { tokenMatches } from './token.ts';
import { defineProvider, fail, OK, type Verdict } from './types.ts';

type Item = Record<string, unknown>;

const isObject = (value: unknown): value is Item => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The body's notification items, or undefined when the body is not an Adyen notification with at least one. */
function notificationItems(body: unknown): Item[] | undefined {
  const list = isObject(body) && Object.hasOwn(body, 'notificationItems') ? body.notificationItems : undefined;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const items = list.map((entry: unknown) => (isObject(entry) ? entry.NotificationRequestItem : undefined));
  return items.every(isObject) ? items : undefined;
}

function parse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    // Not JSON, so not a notification: the caller refuses it as such.
    return undefined;
  }
}

/** A signed field as Adyen's libraries write it: strings as they are, numbers and booleans in their JSON spelling. */
function field(item: Item, ...path: string[]): string {
  const value = path.reduce<unknown>((node, key) => (isObject(node) && Object.hasOwn(node, key) ? node[key] : undefined), item);
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

/** What each item's signature covers, for verify and seal alike. */
function signingString(item: Item): string {
  const names = [['pspReference'], ['originalReference'], ['merchantAccountCode'], ['merchantReference']];
  const rest = [['amount', 'value'], ['amount', 'currency'], ['eventCode'], ['success']];
  return [...names, ...rest].map((path) => field(item, ...path)).join(':');
}

const signatureOf = (key: Buffer, item: Item) => hmac('sha256', key, signingString(item));

/** The HMAC key is the hexadecimal one of the Customer Area; anything else gives an empty key, refused at start-up. */
const adyenKey = (secret: string): Buffer => (/^(?:[0-9a-f]{2})+$/i.test(secret) ? Buffer.from(secret, 'hex') : Buffer.alloc(0));

function verifyItems(items: Item[], keys: readonly Buffer[]): Verdict {
  for (const [index, item] of items.entries()) {
    const text = textAt(item, 'additionalData', 'hmacSignature');
    if (text === undefined) return fail(`notification item ${index + 1} is missing additionalData.hmacSignature`);
    // Canonical base64 only, as Adyen writes it: the same signature spelt otherwise (other padding bits) would let the
    // published body differ from what Adyen sent while every item still verified.
    const signature = decodeSignature(text, 'base64');
    if (signature?.toString('base64') !== text) return fail(`notification item ${index + 1} has a hmacSignature that is not base64`);
    const matches = anyKeyMatches(keys, [signature], (key) => signatureOf(key, item));
    if (!matches) return fail(`signature mismatch in notification item ${index + 1}`);
  }
  return OK;
}

const basicAuthorization = (auth: { username: string; password: string }) =>
  `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;

/** Signed fields only (see the header): a notification sent again, altered or not, has the same id. */
const itemId = (item: Item) => ['pspReference', 'eventCode', 'success', 'merchantReference'].map((name) => field(item, name)).join(':');

export const adyen = defineProvider({
  name: 'adyen',
  // The basic authentication password is a secret like the HMAC key: inline, or from an environment variable.
  options: (env) =>
    z
      .object({
        basicAuth: z
          .object({ username: z.string().min(1), password: singleSecret(env) })
          .strict()
          .optional(),
      })
      .strict(),
  json: true,
  key: adyenKey,
  keyFormat: 'an Adyen HMAC key is hexadecimal, as the Customer Area shows it',
  verify(request, keys, options) {
    if (options.basicAuth) {
      const authorization = request.headers.get('authorization');
      if (!authorization) return fail('missing Authorization header');
      if (!tokenMatches([Buffer.from(basicAuthorization(options.basicAuth))], authorization)) return fail('basic authentication mismatch');
    }
    const items = notificationItems(parse(request.body));
    if (items === undefined) return fail('an Adyen body is a JSON object with notificationItems');
    return verifyItems(items, keys);
  },
  describe(_request, payload) {
    const items = notificationItems(payload()) ?? [];
    const eventCodes = [...new Set(items.map((item) => field(item, 'eventCode')))];
    // A batch is one delivery: its id names every item, in order.
    return { deliveryId: items.map(itemId).join(' ') || undefined, eventType: eventCodes.join(',') || undefined };
  },
  accepted: { status: 200, contentType: 'text/plain; charset=utf-8', body: '[accepted]' },
  // Adyen signs inside the body: every item gets a fresh hmacSignature. A body that is not a notification is sent as is.
  seal({ body }, secret) {
    const parsed = parse(body);
    const items = notificationItems(parsed);
    if (items === undefined) return body;
    for (const item of items) {
      const additionalData = isObject(item.additionalData) ? item.additionalData : {};
      item.additionalData = { ...additionalData, hmacSignature: signatureOf(adyenKey(secret), item).toString('base64') };
    }
    return Buffer.from(JSON.stringify(parsed));
  },
  sign(_input, _secret, options): Record<string, string> {
    return options.basicAuth ? { authorization: basicAuthorization(options.basicAuth) } : {};
  },
  sample(now, eventType = 'AUTHORISATION') {
    const item = {
      additionalData: {},
      amount: { currency: 'EUR', value: 1130 },
      eventCode: eventType,
      eventDate: new Date(now * 1000).toISOString(),
      merchantAccountCode: 'TestMerchant',
      merchantReference: `order-${randomToken(10)}`,
      operations: ['CANCEL', 'CAPTURE', 'REFUND'],
      paymentMethod: 'visa',
      pspReference: `${now}${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`,
      reason: '012345:1111:03/2030',
      success: 'true',
    };
    return jsonSample({ live: 'false', notificationItems: [{ NotificationRequestItem: item }] }, eventType);
  },
});
