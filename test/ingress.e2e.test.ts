// The ingress against the real Pub/Sub emulator: what it answers 202 for is on the topic, byte for byte, with its
// attributes; what it cannot publish gets a 503 and is not there.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { startIngress } from '../ingress/src/main.ts';
import type { Topology } from '../shared/src/topology.ts';
import { isolatedTopology, type Tap, tap, testPubSub } from './support/pubsub.ts';
import { spawnIngress } from './support/services.ts';
import { LOCAL_SOURCES, type StripeWebhook, stripeWebhook } from './support/stripe.ts';
import { waitFor } from './support/wait.ts';

const pubsub = testPubSub();
let topology: Topology;
let events: Tap;
let ingress: Awaited<ReturnType<typeof startIngress>>;

const env = (topic: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  PORT: '0',
  HOOKPIPE_SOURCES: LOCAL_SOURCES,
  HOOKPIPE_TOPIC: topic,
  LOG_LEVEL: 'silent',
  ...extra,
});

const refund = (port: number, id?: string) =>
  stripeWebhook(port, {
    id,
    type: 'charge.refunded',
    object: { id: 'ch_1', amount_refunded: 500 },
    contentType: 'application/json; charset=utf-8',
  });

before(async () => {
  topology = await isolatedTopology(pubsub);
  events = await tap(pubsub, topology.topic);
  ingress = await startIngress(env(topology.topic));
});

after(async () => {
  await ingress.shutdown('test');
  await events.close();
  await pubsub.close();
});

test('a signed webhook gets 202 only with its message id, and the exact bytes and attributes arrive on the topic', async () => {
  const request = refund(ingress.port, 'evt_e2e_1');
  const response = await request.send();
  assert.equal(response.status, 202);
  const answer = (await response.json()) as { messageId: string; deliveryId: string };
  assert.equal(answer.deliveryId, 'evt_e2e_1');

  const message = await waitFor('evt_e2e_1 on the topic', () => events.messages.find((m) => m.attributes.deliveryId === 'evt_e2e_1'));
  assert.equal(message.id, answer.messageId);
  assert.equal(message.data.toString('utf8'), request.body);
  assert.equal(message.attributes.source, 'stripe');
  assert.equal(message.attributes.provider, 'stripe');
  assert.equal(message.attributes.eventType, 'charge.refunded');
  assert.equal(message.attributes.contentType, 'application/json; charset=utf-8');
  assert.ok(Math.abs(Date.parse(message.attributes.receivedAt!) - Date.now()) < 60_000);
  assert.equal(message.orderingKey, 'ch_1');
});

test('every provider in the sample sources file gets its sample through to the topic', async () => {
  const { bindProvider, loadSources } = await import('../ingress/src/providers/index.ts');
  const { send } = await import('../cli/src/send.ts');
  const before = events.messages.length;
  const sources = loadSources(LOCAL_SOURCES, {});
  for (const source of sources) {
    const result = await send({ source, ingressUrl: `http://127.0.0.1:${ingress.port}` });
    // 202 unless the provider requires an answer of its own (Adyen's `200 [accepted]`, Discord's 204).
    assert.equal(result.status, bindProvider(source).accepted?.status ?? 202, `${source.name}: ${result.text}`);
  }
  const arrived = await events.waitForCount(before + sources.length);
  assert.deepEqual(new Set(arrived.slice(before).map((m) => m.attributes.source)), new Set(sources.map((s) => s.name)));
});

test('a publish Pub/Sub refuses (no such topic) is answered 503 with Retry-After, never 2xx', async () => {
  const orphan = await startIngress(env(`${topology.topic}-missing`, { HOOKPIPE_PUBLISH_TIMEOUT_MS: '3000' }));
  try {
    const response = await refund(orphan.port).send();
    assert.equal(response.status, 503);
    assert.ok(Number(response.headers.get('retry-after')) > 0);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'unavailable');
    assert.deepEqual(orphan.publisher.outstanding(), { messages: 0, bytes: 0 });
  } finally {
    await orphan.shutdown('test');
  }
});

/**
 * A POST whose headers reach the ingress at once and whose body follows only on `finish()`: a request under way.
 * Node's server answers `100 Continue` as it hands the request to the app, so `received` means the app has it.
 */
function heldRequest(port: number, webhook: StripeWebhook) {
  const request = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/webhooks/stripe',
    agent: false,
    headers: { ...webhook.headers, 'content-length': Buffer.byteLength(webhook.body), expect: '100-continue' },
  });
  const received = new Promise<void>((resolve, reject) => {
    request.once('continue', resolve);
    request.once('error', reject);
  });
  const answered = new Promise<number>((resolve) => {
    request.once('response', (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    request.once('error', () => resolve(0));
  });
  request.flushHeaders();
  return {
    webhook,
    received,
    finish: () => {
      request.end(webhook.body);
      return answered;
    },
  };
}

test('SIGTERM: requests under way finish with 202, later ones are refused, it exits 0 in 10 s, every 202 is on the topic', async () => {
  const service = await spawnIngress(env(topology.topic));
  try {
    // One webhook first, so that the Pub/Sub channel is open and what follows measures the shutdown alone.
    const first = refund(service.port);
    assert.equal(await first.status(), 202);
    const held = Array.from({ length: 10 }, () => heldRequest(service.port, refund(service.port)));
    await Promise.all(held.map((request) => request.received));
    // And a load racing the signal: each of these may get 202, 503 or a refused connection.
    const racing = Array.from({ length: 30 }, () => refund(service.port));
    const racingStatuses = Promise.all(racing.map((webhook) => webhook.status()));

    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    await service.waitForLog('that it is shutting down', (entry) => entry.message === 'ingress shutting down');
    const late = await refund(service.port).status();
    const heldStatuses = await Promise.all(held.map((request) => request.finish()));
    const statuses = await racingStatuses;
    const { code, at } = await service.exited;

    assert.equal(code, 0);
    assert.ok(at - signalledAt < 10_000, `exited ${at - signalledAt} ms after SIGTERM`);
    assert.deepEqual(
      heldStatuses,
      held.map(() => 202),
      'every request the ingress had when signalled is answered 202',
    );
    assert.ok([503, 0].includes(late), `a request after the signal got ${late}`);
    for (const status of statuses) assert.ok([202, 503, 0].includes(status), `status ${status}`);
    const accepted = [first, ...held.map((request) => request.webhook), ...racing.filter((_, i) => statuses[i] === 202)].map((w) => w.id);
    await waitFor(`the ${accepted.length} events answered 202 on the topic`, () => {
      const onTopic = new Set(events.messages.map((m) => m.attributes.deliveryId));
      return accepted.every((id) => onTopic.has(id));
    });
  } finally {
    // A no-op once it has exited; otherwise a failed wait would leave it running past the test.
    service.child.kill('SIGKILL');
  }
});

test('a bad configuration stops the start-up with a message naming the variable', async () => {
  const child = spawn(process.execPath, ['ingress/src/main.ts'], {
    env: { ...process.env, HOOKPIPE_SOURCES: '', HOOKPIPE_PUBLISH_TIMEOUT_MS: 'soon' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(stderr, /HOOKPIPE_SOURCES/);
  assert.match(stderr, /HOOKPIPE_PUBLISH_TIMEOUT_MS/);
});
