// `hookpipe send` against the ingress app in process: every source of the sample sources file gets its sample,
// signed the way its provider signs, accepted; signed with another secret, refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bindProvider, loadSources } from '../../ingress/src/providers/index.ts';
import { ingressApp, NOW } from '../../test/support/ingress-app.ts';
import { prepareSend } from './send.ts';

// As `npm start` runs the ingress: against the emulator, so URL-signing sources bind to the URL posted to.
const sources = loadSources('config/sources.local.yaml', {});
const { app, published } = ingressApp(sources, { allowRequestUrl: true, trustProxy: true });

const deliver = (prepared: ReturnType<typeof prepareSend>) =>
  app.request(prepared.url.toString(), { method: 'POST', headers: prepared.headers, body: new Uint8Array(prepared.body) });

test('every sample source: its sample, signed as its provider signs, is accepted; another secret is refused', async () => {
  for (const source of sources) {
    const options = { source, ingressUrl: 'http://localhost:8080' };
    const accepted = await deliver(prepareSend(options, NOW));
    // 202 unless the provider asks for an answer of its own (Adyen's `200 [accepted]`).
    assert.equal(accepted.status, bindProvider(source).accepted?.status ?? 202, `${source.name}: ${await accepted.text()}`);
    const refused = await deliver(prepareSend({ ...options, secret: 'whsec_bm90LXRoZS1zZWNyZXQ=' }, NOW));
    assert.equal(refused.status, 401, source.name);
  }
  assert.deepEqual(
    published.map((message) => message.attributes.source),
    sources.map((source) => source.name),
  );
});

test('--event picks the sample event type, where the provider has several', async () => {
  const stripe = sources.find((source) => source.provider === 'stripe')!;
  const options = { source: stripe, ingressUrl: 'http://localhost:8080', eventType: 'payment_intent.payment_failed' };
  const response = await deliver(prepareSend(options, NOW));
  assert.equal(response.status, 202);
  assert.equal(published.at(-1)!.attributes.eventType, 'payment_intent.payment_failed');
});
