// Okta event hooks: nothing is signed. Every request carries, in the Authorization header, the secret the hook was
// registered with ("Okta provides it in every request"), the one-time verification GET included; that GET carries
// `X-Okta-Verification-Challenge`, answered `{"verification":"<value>"}`. Events come as POSTs of `data.events`,
// System Log events, each with its `uuid`, the id Okta says to detect duplicates by.
// https://developer.okta.com/docs/concepts/event-hooks/
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { textAt } from './fields.ts';
import { refusal } from './handshake.ts';
import { jsonSample, randomToken } from './sample.ts';
import { token } from './token.ts';
import { defineProvider, type WebhookRequest } from './types.ts';

/** The token scheme (token.ts) on the Authorization header, the secret as is, no prefix. */
const AUTHORIZATION = { header: 'authorization', prefix: '' };
const checkAuthorization = (request: WebhookRequest, keys: readonly Buffer[]) => token.verify(request, keys, AUTHORIZATION, 0);

/** Okta's challenges are opaque random strings: any printable ASCII, bounded. Answered only to the secret's holder. */
const CHALLENGE = /^[\x21-\x7e]{1,512}$/;

const events = (payload: unknown): unknown[] => {
  const list = (payload as { data?: { events?: unknown } } | null)?.data?.events;
  return Array.isArray(list) ? list : [];
};

export const okta = defineProvider({
  name: 'okta',
  options: () => z.object({}).strict(),
  json: true,
  verify: (request, keys) => checkAuthorization(request, keys),
  describe(_request, payload) {
    const body = payload();
    const list = events(body);
    // One event: its uuid, which Okta documents for spotting duplicates, and its type. Several events (Okta batches
    // those close in time): the delivery's own eventId, and their type if they share one, else the hook's.
    if (list.length === 1) return { deliveryId: textAt(list[0], 'uuid'), eventType: textAt(list[0], 'eventType') };
    const types = new Set(list.map((event) => textAt(event, 'eventType')));
    const [only] = types;
    return { deliveryId: textAt(body, 'eventId'), eventType: types.size === 1 && only !== undefined ? only : textAt(body, 'eventType') };
  },
  // Outside the rule for handshakes that compute with a secret (handshake.ts): the answer is the challenge itself,
  // computed from nothing, and given only to a request carrying the hook's secret (compared in constant time, as for
  // events), so a stranger gets the 403 and learns nothing, and the echo is bounded.
  handshake(request, keys) {
    const challenge = request.headers.get('x-okta-verification-challenge');
    if (challenge === null) return undefined;
    if (!checkAuthorization(request, keys).ok) return refusal('forbidden', 'the Authorization header does not match');
    if (!CHALLENGE.test(challenge)) return refusal('bad_request', 'X-Okta-Verification-Challenge is not a challenge Okta sends');
    return { status: 200, contentType: 'application/json', body: JSON.stringify({ verification: challenge }) };
  },
  sign: (_input, secret) => ({ authorization: secret }),
  sample(now, eventType = 'user.lifecycle.create') {
    const published = new Date(now * 1000).toISOString();
    const event = {
      uuid: randomUUID(),
      published,
      eventType,
      version: '0',
      severity: 'INFO',
      displayMessage: 'Create okta user',
      actor: { id: `00u${randomToken(17)}`, type: 'User', alternateId: 'admin@example.com', displayName: 'Example Admin' },
      outcome: { result: 'SUCCESS' },
      target: [{ id: `00u${randomToken(17)}`, type: 'User', alternateId: 'new.user@example.com', displayName: 'New User' }],
    };
    return jsonSample({
      eventType: 'com.okta.event_hook',
      eventTypeVersion: '1.0',
      cloudEventsVersion: '0.1',
      contentType: 'application/json',
      eventId: randomUUID(),
      eventTime: published,
      source: `https://example.okta.com/api/v1/eventHooks/who${randomToken(17)}`,
      data: { events: [event] },
    });
  },
});
