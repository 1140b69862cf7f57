// PagerDuty publishes no Node library for v3 webhooks: the suite signs with the documented scheme, written here
// independently of pagerduty.ts, `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body>[,v1=...]`:
// https://developer.pagerduty.com/docs/webhooks/webhook-signatures/. The known answer is the fixture of PagerDuty's
// own Go library, go-pagerduty's webhookv3 tests (values only).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { keysFor, verifierSuite } from '../../../test/support/verifier-suite.ts';
import { signInput, webhookRequest } from '../../../test/support/webhook-request.ts';
import { pagerduty } from './pagerduty.ts';

const event = { event: { id: '5ac64822-4adc-4fda-ade0-410becf0de4f', event_type: 'incident.priority_updated', data: { id: 'PGR0VU2' } } };
const body = Buffer.from(JSON.stringify(event));
const v1 = (payload: Buffer | string, secret: string) => `v1=${createHmac('sha256', secret).update(payload).digest('hex')}`;
const request = (signature: string, payload: Buffer = body) => webhookRequest({ 'x-pagerduty-signature': signature }, payload);

verifierSuite({
  provider: pagerduty,
  options: {},
  secrets: ['pagerduty-current', 'pagerduty-next'],
  body,
  signer: 'the documented scheme',
  sign: (payload, secret) => ({ 'x-pagerduty-signature': v1(payload, secret) }),
  signatureHeader: 'x-pagerduty-signature',
});

test('pagerduty: one v1 per secret during a rotation, any one matching is enough', () => {
  const header = `${v1(body, 'retired-secret')},${v1(body, 'pagerduty-next')}`;
  assert.deepEqual(pagerduty.verify(request(header), keysFor(pagerduty, ['pagerduty-next']), {}, 0), { ok: true });
  assert.equal(pagerduty.verify(request(header), keysFor(pagerduty, ['pagerduty-current']), {}, 0).ok, false);
});

test("pagerduty: the id and type are the event's", () => {
  const described = pagerduty.describe(request(''), () => event);
  assert.deepEqual(described, { deliveryId: '5ac64822-4adc-4fda-ade0-410becf0de4f', eventType: 'incident.priority_updated' });
});

// https://github.com/PagerDuty/go-pagerduty/blob/HEAD/webhookv3/webhookv3_test.go: its body, secret and valid signature.
const GO_SECRET = 'lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK';
const GO_SIGNATURE = 'v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd';
const GO_BODY =
  '{"event":{"id":"01BWDWL3NYY7LUFPZCC28QUCMK","event_type":"incident.priority_updated","resource_type":"incident",' +
  '"occurred_at":"2021-04-26T17:36:27.458Z","agent":{"html_url":"https://acme.pagerduty.com/users/PLH1HKV","id":"PLH1HKV",' +
  '"self":"https://api.pagerduty.com/users/PLH1HKV","summary":"Tenex Engineer","type":"user_reference"},"client":null,' +
  '"data":{"id":"PGR0VU2","type":"incident","self":"https://api.pagerduty.com/incidents/PGR0VU2",' +
  '"html_url":"https://acme.pagerduty.com/incidents/PGR0VU2","number":2,"status":"triggered","title":"A little bump in the road",' +
  '"service":{"html_url":"https://acme.pagerduty.com/services/PF9KMXH","id":"PF9KMXH",' +
  '"self":"https://api.pagerduty.com/services/PF9KMXH","summary":"API Service","type":"service_reference"},' +
  '"assignees":[{"html_url":"https://acme.pagerduty.com/users/PTUXL6G",' +
  '"id":"PTUXL6G","self":"https://api.pagerduty.com/users/PTUXL6G","summary":"User 123","type":"user_reference"}],' +
  '"escalation_policy":{"html_url":"https://acme.pagerduty.com/escalation_policies/PUS0KTE","id":"PUS0KTE",' +
  '"self":"https://api.pagerduty.com/escalation_policies/PUS0KTE","summary":"Default","type":"escalation_policy_reference"},' +
  '"teams":[{"html_url":"https://acme.pagerduty.com/teams/PFCVPS0","id":"PFCVPS0","self":"https://api.pagerduty.com/teams/PFCVPS0",' +
  '"summary":"Engineering","type":"team_reference"}],"priority":{"html_url":"https://acme.pagerduty.com/account/incident_priorities",' +
  '"id":"PSO75BM","self":"https://api.pagerduty.com/priorities/PSO75BM","summary":"P1","type":"priority_reference"},' +
  '"urgency":"high","conference_bridge":{"conference_number":1000,"conference_url":"https://example.com"},"resolve_reason":null}}}';

test("pagerduty: go-pagerduty's signed fixture is accepted, its mismatching signature refused, and sign() reproduces it", () => {
  const keys = keysFor(pagerduty, [GO_SECRET]);
  const goBody = Buffer.from(GO_BODY);
  assert.deepEqual(pagerduty.verify(request(GO_SIGNATURE, goBody), keys, {}, 0), { ok: true });
  const mismatch = 'v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5';
  assert.deepEqual(pagerduty.verify(request(mismatch, goBody), keys, {}, 0), { ok: false, reason: 'signature mismatch' });
  assert.deepEqual(pagerduty.sign(signInput(goBody), GO_SECRET, {}), { 'x-pagerduty-signature': GO_SIGNATURE });
});
