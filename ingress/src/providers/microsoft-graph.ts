// Microsoft Graph change notifications: nothing is signed. Each subscription is created with a `clientState`, a secret
// Graph repeats in every notification it sends for that subscription, in a JSON collection `{"value":[...]}`; lifecycle
// notifications (`lifecycleEvent`: reauthorizationRequired, subscriptionRemoved, missed) come the same way. The
// notification URL is validated by a POST with `?validationToken=`, answered 200 text/plain with the decoded token
// within 10 seconds.
// https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks (validation, clientState)
// https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events
// https://learn.microsoft.com/en-us/graph/api/resources/changenotification
// Out of scope: rich notifications (`includeResourceData`). Their `encryptedContent` is published as sent, not
// decrypted, and their `validationTokens` (JWTs) are not checked: their clientState is, as for any other.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { contentId } from './crypto.ts';
import { textAt } from './fields.ts';
import { refusal } from './handshake.ts';
import { randomToken } from './sample.ts';
import { tokenMatches } from './token.ts';
import { defineProvider, fail, OK } from './types.ts';

/** The items of a change notification collection, or undefined for any other body. */
function notifications(payload: unknown): unknown[] | undefined {
  const value = (payload as { value?: unknown } | null)?.value;
  return Array.isArray(value) && value.length > 0 ? value : undefined;
}

function parse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    // Not JSON: no collection, which verify refuses as such.
    return undefined;
  }
}

/**
 * The validation tokens the ingress echoes. Graph's are text such as "Validation: Testing client application
 * reachability for subscription Request-Id: <guid>", and Microsoft says to treat them as opaque; so any printable
 * ASCII up to 1,024 characters, but none of the characters HTML or a script would need, which Microsoft says it never
 * sends (and advises escaping): the echo can then never be markup, whatever a stranger puts in the query.
 */
const VALIDATION_TOKEN = /^[\x20-\x7e]{1,1024}$/;
const MARKUP = /[<>"'&`\\]/;

/** What tells one notification from another: Graph's own id where it gives one, then what changed, where and when. */
const identity = (item: unknown) =>
  ['id', 'subscriptionId', 'changeType', 'lifecycleEvent', 'resource', 'subscriptionExpirationDateTime', 'tenantId']
    .map((field) => textAt(item, field) ?? '')
    .concat(textAt(item, 'resourceData', '@odata.etag') ?? '')
    .join('\n');

export const microsoftGraph = defineProvider({
  name: 'microsoft-graph',
  options: () => z.object({}).strict(),
  json: true,
  // The secret is inside the body: it is parsed before anything is verified, within the source's size limit.
  verify(request, keys) {
    const items = notifications(parse(request.body));
    if (items === undefined) return fail('not a change notification collection ({"value":[...]})');
    // Every item must carry a listed secret, not just one: a batch can hold notifications of several subscriptions,
    // and with "any" a forged item would ride along with one genuine clientState. Every item is compared (each in
    // constant time), so the time taken says nothing of which one differed.
    let all = true;
    for (const item of items) {
      const state = textAt(item, 'clientState');
      if (state === undefined || !tokenMatches(keys, state)) all = false;
    }
    return all ? OK : fail('clientState mismatch');
  },
  describe(_request, payload) {
    const items = notifications(payload()) ?? [];
    // Graph sends no delivery id: one is made of what the notifications are, so that a retry of the same batch is
    // the same delivery. Two notifications alike in every one of those fields are the same signal (go fetch the
    // resource), so taking the second for a duplicate loses nothing.
    const types = [...new Set(items.map((item) => textAt(item, 'changeType') ?? textAt(item, 'lifecycleEvent') ?? ''))].sort();
    const deliveryId = items.length > 0 ? contentId(items.map(identity).sort().join('\n\n')) : undefined;
    return { deliveryId, eventType: types.join(',') || undefined };
  },
  handshakeMethod: 'POST',
  // Outside the rule for handshakes that compute with a secret (handshake.ts): it echoes the token and computes
  // nothing, so everyone gets the same answer and it tells nothing of any clientState (Graph has no signature it
  // could stand in for). Unauthenticated, as Graph's validation is, so bounded in length and alphabet (above), sent as
  // text/plain, and never published.
  handshake(request) {
    const query = request.url.searchParams;
    if (!query.has('validationToken')) return undefined;
    const token = query.get('validationToken')!;
    if (!VALIDATION_TOKEN.test(token) || MARKUP.test(token)) {
      return refusal('bad_request', 'validationToken is not a token Microsoft Graph sends');
    }
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: token };
  },
  sign: () => ({}),
  // The secret goes in every item, as Graph repeats the subscription's clientState in each.
  seal({ body }, secret) {
    const payload = parse(body);
    const items = notifications(payload);
    if (items === undefined) return body;
    const value = items.map((item) => ({ ...(item as object), clientState: secret }));
    return Buffer.from(JSON.stringify({ ...(payload as object), value }));
  },
  sample(now, eventType = 'created') {
    const user = randomUUID();
    const message = `AAMkAG${randomToken(24)}`;
    const item = {
      id: `lsg${randomToken(10)}`,
      subscriptionId: randomUUID(),
      subscriptionExpirationDateTime: new Date((now + 3 * 86_400) * 1000).toISOString(),
      changeType: eventType,
      resource: `Users/${user}/Messages/${message}`,
      tenantId: '84bd8158-6d4d-4958-8b9f-9d6445542f95',
      resourceData: { '@odata.type': '#Microsoft.Graph.Message', '@odata.id': `Users/${user}/Messages/${message}`, id: message },
      clientState: '',
    };
    return { body: Buffer.from(JSON.stringify({ value: [item] })), contentType: 'application/json' };
  },
});
