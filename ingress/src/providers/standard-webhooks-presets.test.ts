// Every Standard Webhooks preset in the registry (Clerk, Resend, Replicate, Liveblocks, OpenAI, and the generic
// `standard-webhooks`), found there rather than listed, so that a new preset cannot go untested: each one's own sample
// signed by the standardwebhooks reference library passes the verifier suite, the Standard Webhooks reference example
// verifies under Svix's `svix-*` header names (as Clerk and Resend send them), and each sample describes itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { verifierSuite } from '../../../test/support/verifier-suite.ts';
import { webhookRequest } from '../../../test/support/webhook-request.ts';
import { bindProvider, PROVIDER_REGISTRY, parseSources } from './index.ts';
import { isStandardWebhooksPreset, type StandardWebhooksOptions } from './standard-webhooks.ts';
import type { Provider } from './types.ts';

const NOW = 1_763_000_000;
const SECRETS: [string, string] = ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24='];
const presets = Object.values(PROVIDER_REGISTRY).filter(isStandardWebhooksPreset) as Array<Provider<StandardWebhooksOptions>>;

test('standard-webhooks presets: the registry holds the senders this release names', () => {
  const names = presets.map((preset) => preset.name);
  for (const name of ['standard-webhooks', 'clerk', 'resend', 'replicate', 'liveblocks', 'openai']) assert.ok(names.includes(name), name);
});

for (const preset of presets) {
  const sample = preset.sample(NOW);
  const id = sample.id ?? 'msg_missing';

  verifierSuite({
    provider: preset,
    options: { toleranceSeconds: 300 },
    secrets: SECRETS,
    body: sample.body,
    signer: "the standardwebhooks library's Webhook.sign",
    sign: (payload, secret, now) => ({
      'webhook-id': id,
      'webhook-timestamp': String(now),
      'webhook-signature': new Webhook(secret).sign(id, new Date(now * 1000), payload),
    }),
    signatureHeader: 'webhook-signature',
    toleranceSeconds: 300,
  });

  test(`${preset.name}: its sample, sent by hookpipe, is the event it says (its id, its type) and is JSON`, () => {
    const [source] = parseSources({ sources: [{ name: preset.name, provider: preset.name, secrets: [SECRETS[0]] }] }, {});
    const bound = bindProvider(source!);
    const url = new URL(`https://h.example/webhooks/${preset.name}`);
    const headers = new Headers(bound.sign({ body: sample.body, url, now: NOW, id, contentType: sample.contentType }));
    const request = { method: 'POST', url, headers, body: sample.body };
    assert.deepEqual(bound.verify(request, NOW), { ok: true });
    assert.ok(sample.eventType, 'the sample names its event type');
    assert.deepEqual(
      bound.describe(request, () => JSON.parse(sample.body.toString())),
      { deliveryId: id, eventType: sample.eventType },
    );
    assert.equal(source!.json, true);
  });

  // https://github.com/standard-webhooks/standard-webhooks/blob/HEAD/libraries/javascript/src/webhook.test.ts
  test(`${preset.name}: the reference library's signing example verifies under svix-* header names`, () => {
    const headers = {
      'svix-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'svix-timestamp': '1614265330',
      'svix-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const keys = [preset.key!('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')];
    const verify = (body: string) => preset.verify(webhookRequest(headers, Buffer.from(body)), keys, { toleranceSeconds: 300 }, 1614265330);
    assert.deepEqual(verify('{"test": 2432232314}'), { ok: true });
    assert.equal(verify('{"test": 2432232315}').ok, false);
  });
}

test('replicate: a prediction names no event, so its type is prediction.<status>', () => {
  const replicate = presets.find((preset) => preset.name === 'replicate')!;
  const described = replicate.describe(webhookRequest({ 'webhook-id': 'msg_1' }), () => ({ id: 'p1', status: 'failed' }));
  assert.deepEqual(described, { deliveryId: 'msg_1', eventType: 'prediction.failed' });
  assert.equal(replicate.sample(NOW, 'prediction.failed').body.includes('"status":"failed"'), true);
});
