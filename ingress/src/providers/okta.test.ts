// Okta event hooks: the Authorization secret on every request, the one-time verification GET answered only to its
// holder, delivery ids and types from the System Log events. Okta signs nothing, so a changed body byte is still
// accepted, as for a token (token.test.ts): the cases are written here by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ingressApp } from '../../../test/support/ingress-app.ts';
import { keysFor } from '../../../test/support/verifier-suite.ts';
import { parseSources } from './index.ts';
import { okta } from './okta.ts';
import type { WebhookRequest } from './types.ts';

const SECRET = 'Basic b2t0YTpzZWNyZXQ=';
const keys = keysFor(okta, [SECRET, 'rotated-okta-secret']);
const request = (headers: Record<string, string>, method = 'POST', body = '{}'): WebhookRequest => ({
  method,
  url: new URL('https://hooks.example.com/webhooks/okta'),
  headers: new Headers(headers),
  body: Buffer.from(body),
});

// Okta's sample delivery, from the event hooks page (values only).
// https://developer.okta.com/docs/concepts/event-hooks/#sample-event-delivery-payload
const DOCS_DELIVERY = {
  eventType: 'com.okta.event_hook',
  eventTypeVersion: '1.0',
  cloudEventsVersion: '0.1',
  contentType: 'application/json',
  eventId: 'b5a188b9-5ece-4636-b041-482ffda96311',
  eventTime: '2019-03-27T16:59:53.032Z',
  source: 'https://{yourOktaDomain}/api/v1/eventHooks/whoql0HfiLGPWc8Jx0g3',
  data: {
    events: [
      {
        version: '0',
        severity: 'INFO',
        actor: { id: '00u1qw6mqitPHM8AJ0g7', type: 'User', alternateId: 'admin@example.com', displayName: 'Example Admin' },
        outcome: { result: 'SUCCESS' },
        uuid: 'f790999f-fe87-467a-9880-6982a583986c',
        published: '2018-03-28T22:23:07.777Z',
        eventType: 'user.session.start',
        displayMessage: 'User login to Okta',
      },
    ],
  },
};

test('okta: the Authorization secret is required, either of two during a rotation, compared whole', () => {
  assert.deepEqual(okta.verify(request({ authorization: SECRET }), keys, {}, 0), { ok: true });
  assert.deepEqual(okta.verify(request({ authorization: 'rotated-okta-secret' }), keys, {}, 0), { ok: true });
  assert.deepEqual(okta.verify(request({ authorization: `${SECRET}x` }), keys, {}, 0), { ok: false, reason: 'token mismatch' });
  assert.deepEqual(okta.verify(request({ authorization: 'Basic b2t0YTpzZWNyZXR=' }), keys, {}, 0).ok, false, 'one byte changed');
  assert.deepEqual(okta.verify(request({}), keys, {}, 0), { ok: false, reason: 'missing authorization header' });
  assert.deepEqual(okta.sign({ body: Buffer.alloc(0), url: new URL('https://h.example/'), now: 0, id: '1', contentType: '' }, SECRET, {}), {
    authorization: SECRET,
  });
});

const verification = (headers: Record<string, string>, given = keys) => okta.handshake!(request(headers, 'GET', ''), given, {});

test('okta: the verification GET echoes its challenge as {"verification"}, only to a request carrying the secret', () => {
  const challenge = 'X8rOVyAfkvrGEXbNx6VBEmbBMcDgFd4Jbt-ZFS9C';
  assert.deepEqual(verification({ 'x-okta-verification-challenge': challenge, authorization: SECRET }), {
    status: 200,
    contentType: 'application/json',
    body: `{"verification":"${challenge}"}`,
  });
  for (const headers of [{}, { authorization: 'wrong' }] as Array<Record<string, string>>) {
    const refused = verification({ 'x-okta-verification-challenge': challenge, ...headers })!;
    assert.equal(refused.status, 403);
    assert.doesNotMatch(refused.body, new RegExp(challenge), 'a stranger gets nothing back');
  }
  assert.equal(verification({ 'x-okta-verification-challenge': 'x'.repeat(513), authorization: SECRET })!.status, 400, 'bounded');
  assert.equal(verification({ 'x-okta-verification-challenge': 'a b', authorization: SECRET })!.status, 400, 'printable, no spaces');
  assert.equal(verification({ authorization: SECRET }), undefined, 'not a verification');
});

test('okta: the verification answer is the challenge alone: the same under any matching key, never derived from one', () => {
  const headers = { 'x-okta-verification-challenge': 'abc', authorization: 'rotated-okta-secret' };
  assert.deepEqual(verification(headers), verification(headers, keysFor(okta, ['rotated-okta-secret'])));
  assert.doesNotMatch(verification(headers)!.body, /rotated|b2t0/);
});

test("okta: one event is described by its uuid and type; several by the delivery's eventId and their shared type", () => {
  const describe = (body: unknown) => okta.describe(request({}), () => body);
  assert.deepEqual(describe(DOCS_DELIVERY), { deliveryId: 'f790999f-fe87-467a-9880-6982a583986c', eventType: 'user.session.start' });
  const event = DOCS_DELIVERY.data.events[0]!;
  const two = (type: string) => ({ ...DOCS_DELIVERY, data: { events: [event, { ...event, uuid: 'other', eventType: type }] } });
  const deliveryId = DOCS_DELIVERY.eventId;
  assert.deepEqual(describe(two('user.session.start')), { deliveryId, eventType: 'user.session.start' });
  assert.deepEqual(describe(two('user.session.end')), { deliveryId, eventType: 'com.okta.event_hook' });
});

const [source] = parseSources({ sources: [{ name: 'okta', provider: 'okta', secrets: [SECRET] }] }, {});

test('okta through the ingress: verification answered and not published; events published under the secret only', async () => {
  const { app, published } = ingressApp([source!]);
  const headers = { 'x-okta-verification-challenge': 'abc', authorization: SECRET };
  const verified = await app.request('http://localhost/webhooks/okta', { headers });
  assert.equal(verified.status, 200);
  assert.deepEqual(await verified.json(), { verification: 'abc' });
  const stranger = await app.request('http://localhost/webhooks/okta', { headers: { 'x-okta-verification-challenge': 'abc' } });
  assert.equal(stranger.status, 403);
  assert.equal(published.length, 0);

  const post = (authorization: string) =>
    app.request('http://localhost/webhooks/okta', {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(DOCS_DELIVERY),
    });
  assert.equal((await post(SECRET)).status, 202);
  assert.equal((await post('wrong')).status, 401);
  assert.deepEqual([published.length, published[0]!.attributes.deliveryId], [1, 'f790999f-fe87-467a-9880-6982a583986c']);
});
