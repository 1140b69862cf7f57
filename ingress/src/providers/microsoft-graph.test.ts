// Microsoft Graph change notifications: clientState as the secret in every item, the validationToken POST answered
// before verification, delivery ids made of the notifications. Graph signs nothing, so "one byte changed" elsewhere
// than in a clientState is still accepted, as for a token (token.test.ts): those cases are written here by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ingressApp } from '../../../test/support/ingress-app.ts';
import { keysFor } from '../../../test/support/verifier-suite.ts';
import { parseSources } from './index.ts';
import { microsoftGraph } from './microsoft-graph.ts';
import type { WebhookRequest } from './types.ts';

const SECRET = 'secretClientValue';
const keys = keysFor(microsoftGraph, [SECRET, 'rotated-client-state']);
const request = (body: unknown, query = ''): WebhookRequest => ({
  method: 'POST',
  url: new URL(`https://hooks.example.com/webhooks/graph${query}`),
  headers: new Headers({ 'content-type': 'application/json' }),
  body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});
const verify = (body: unknown, given = keys) => microsoftGraph.verify(request(body), given, {}, 0);

// Microsoft's own examples: a change notification, and a lifecycle notification (its clientState filled in).
// https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks#change-notification-example
const DOCS_NOTIFICATION = {
  value: [
    {
      id: 'lsgTZMr9KwAAA',
      subscriptionId: '{subscription_guid}',
      subscriptionExpirationDateTime: '2016-03-19T22:11:09.952Z',
      clientState: 'secretClientValue',
      changeType: 'created',
      resource: 'users/{user_guid}@{tenant_guid}/messages/{long_id_string}',
      tenantId: '84bd8158-6d4d-4958-8b9f-9d6445542f95',
      resourceData: {
        '@odata.type': '#Microsoft.Graph.Message',
        '@odata.id': 'Users/{user_guid}@{tenant_guid}/Messages/{long_id_string}',
        '@odata.etag': 'W/"CQAAABYAAADkrWGo7bouTKlsgTZMr9KwAAAUWRHf"',
        id: '{long_id_string}',
      },
    },
  ],
};
// https://learn.microsoft.com/en-us/graph/change-notifications-lifecycle-events#structure-of-a-lifecycle-notification
const DOCS_LIFECYCLE = {
  value: [
    {
      subscriptionId: '<subscription_guid>',
      subscriptionExpirationDateTime: '2019-03-20T11:00:00.0000000Z',
      tenantId: '<tenant_guid>',
      clientState: SECRET,
      lifecycleEvent: 'reauthorizationRequired',
    },
  ],
};

const item = DOCS_NOTIFICATION.value[0]!;
const batch = (...states: Array<string | undefined>) => ({
  value: states.map((clientState, index) => ({ ...item, id: `n${index}`, clientState })),
});

test("microsoft-graph: Microsoft's examples are accepted under their clientState, and under no other", () => {
  assert.deepEqual(verify(DOCS_NOTIFICATION), { ok: true });
  assert.deepEqual(verify(DOCS_LIFECYCLE), { ok: true });
  assert.deepEqual(verify(DOCS_NOTIFICATION, keysFor(microsoftGraph, ['another'])), { ok: false, reason: 'clientState mismatch' });
  const changed = JSON.stringify(DOCS_NOTIFICATION).replace('secretClientValue', 'secretClientValuf');
  assert.deepEqual(verify(changed), { ok: false, reason: 'clientState mismatch' }, 'one byte changed in the secret');
});

test('microsoft-graph: every item must carry a listed clientState, either of two during a rotation', () => {
  assert.deepEqual(verify(batch(SECRET, 'rotated-client-state')), { ok: true });
  assert.deepEqual(verify(batch(SECRET, 'forged')), { ok: false, reason: 'clientState mismatch' }, 'one forged item sinks the batch');
  assert.deepEqual(verify(batch(SECRET, undefined)), { ok: false, reason: 'clientState mismatch' }, 'a missing clientState');
  for (const body of ['not json', {}, { value: [] }, { value: 'x' }, []]) {
    assert.deepEqual(verify(body), { ok: false, reason: 'not a change notification collection ({"value":[...]})' }, JSON.stringify(body));
  }
});

const validation = (token: string, given = keys) => microsoftGraph.handshake!(request('', `?validationToken=${token}`), given, {});

test('microsoft-graph: the validationToken POST is answered 200 text/plain with the decoded token, bounded in length and alphabet', () => {
  const token = 'Validation: Testing client application reachability for subscription Request-Id: 7b5d84c8-4d3a-44e4-9b8e-9b8e5a1c0b11';
  assert.deepEqual(validation(encodeURIComponent(token)), { status: 200, contentType: 'text/plain; charset=utf-8', body: token });
  assert.equal(validation('Validation%3a+Testing+client')!.body, 'Validation: Testing client', 'a + is a space');
  for (const bad of [encodeURIComponent('<script>alert(1)</script>'), encodeURIComponent('a"b'), 'x'.repeat(1025), '%0Aline', '']) {
    assert.equal(validation(bad)!.status, 400, bad.slice(0, 40));
  }
  assert.equal(microsoftGraph.handshake!(request(DOCS_NOTIFICATION), keys, {}), undefined, 'a notification is no handshake');
});

test('microsoft-graph: the validation answer is the token alone, whatever the keys: nothing of a clientState comes back', () => {
  const answers = [keys, keysFor(microsoftGraph, ['other']), []].map((given) => validation('abc%20def', given));
  for (const answer of answers) assert.deepEqual(answer, answers[0]);
});

test('microsoft-graph: a batch is one delivery, its id the same however Graph orders it, its type the change', () => {
  const describe = (body: unknown) => microsoftGraph.describe(request(body), () => body);
  const two = batch(SECRET, SECRET);
  const reversed = { value: [...two.value].reverse() };
  assert.equal(describe(two).deliveryId, describe(reversed).deliveryId);
  assert.match(describe(two).deliveryId!, /^[0-9a-f]{32}$/);
  const newer = { value: [{ ...item, resourceData: { ...item.resourceData, '@odata.etag': 'W/"other"' } }] };
  assert.notEqual(describe(newer).deliveryId, describe(DOCS_NOTIFICATION).deliveryId, 'another version of the resource');
  assert.equal(describe(DOCS_NOTIFICATION).eventType, 'created');
  assert.equal(describe(DOCS_LIFECYCLE).eventType, 'reauthorizationRequired');
  assert.equal(describe({ value: [item, { ...item, id: 'x', changeType: 'updated' }] }).eventType, 'created,updated');
});

const [source] = parseSources({ sources: [{ name: 'graph', provider: 'microsoft-graph', secrets: [SECRET] }] }, {});

test('microsoft-graph through the ingress: validation answered and not published, notifications published, GET not allowed', async () => {
  const { app, published } = ingressApp([source!]);
  const token = 'Validation: Testing client application reachability';
  const validated = await app.request(`http://localhost/webhooks/graph?validationToken=${encodeURIComponent(token)}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
  assert.equal(validated.status, 200);
  assert.equal(validated.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(await validated.text(), token);
  assert.equal(published.length, 0);

  const accepted = await app.request('http://localhost/webhooks/graph', { method: 'POST', body: JSON.stringify(DOCS_NOTIFICATION) });
  assert.equal(accepted.status, 202);
  assert.equal(published[0]!.attributes.eventType, 'created');
  const refused = await app.request('http://localhost/webhooks/graph', { method: 'POST', body: JSON.stringify(batch('forged')) });
  assert.equal(refused.status, 401);

  const get = await app.request('http://localhost/webhooks/graph?validationToken=x');
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  assert.equal(published.length, 1);
});

test("microsoft-graph: `hookpipe send` puts the source's secret in every item as Graph does", () => {
  const sample = microsoftGraph.sample(0, 'updated');
  const input = { body: sample.body, url: new URL('http://localhost/webhooks/graph'), now: 0, id: '1', contentType: sample.contentType };
  const sealed = microsoftGraph.seal!(input, SECRET, {});
  assert.deepEqual(verify(sealed.toString()), { ok: true });
  assert.equal(microsoftGraph.describe(request(sealed.toString()), () => JSON.parse(sealed.toString())).eventType, 'updated');
  assert.deepEqual(microsoftGraph.sign(input, SECRET, {}), {});
});
