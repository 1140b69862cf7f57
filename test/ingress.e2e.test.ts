// The ingress against the real Pub/Sub emulator: what it answers 202 for is on the topic, byte for byte, with its
// attributes; what it cannot publish gets a 503 and is not there.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import Stripe from 'stripe';
import { startIngress } from '../ingress/src/main.ts';
import type { Topology } from '../shared/src/topology.ts';
import { isolatedTopology, tap, testPubSub, type Tap } from './support/pubsub.ts';

const pubsub = testPubSub();
let topology: Topology;
let events: Tap;
let ingress: Awaited<ReturnType<typeof startIngress>>;

const env = (topic: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  PORT: '0',
  HOOKPIPE_SOURCES: 'config/sources.local.yaml',
  HOOKPIPE_TOPIC: topic,
  LOG_LEVEL: 'silent',
  ...extra,
});

function stripeRequest(port: number, id = `evt_${Math.random().toString(36).slice(2)}`) {
  const body = JSON.stringify({ id, object: 'event', type: 'charge.refunded', data: { object: { id: 'ch_1', amount_refunded: 500 } } });
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_local_stripe_secret' });
  return {
    id,
    body,
    send: () =>
      fetch(`http://127.0.0.1:${port}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
        body,
      }),
  };
}

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
  const request = stripeRequest(ingress.port, 'evt_e2e_1');
  const response = await request.send();
  assert.equal(response.status, 202);
  const answer = (await response.json()) as { messageId: string; deliveryId: string };
  assert.equal(answer.deliveryId, 'evt_e2e_1');

  const [message] = await events.waitForCount(1);
  assert.equal(message!.id, answer.messageId);
  assert.equal(message!.data.toString('utf8'), request.body);
  assert.equal(message!.attributes.source, 'stripe');
  assert.equal(message!.attributes.provider, 'stripe');
  assert.equal(message!.attributes.deliveryId, 'evt_e2e_1');
  assert.equal(message!.attributes.eventType, 'charge.refunded');
  assert.equal(message!.attributes.contentType, 'application/json; charset=utf-8');
  assert.ok(Math.abs(Date.parse(message!.attributes.receivedAt!) - Date.now()) < 60_000);
  assert.equal(message!.orderingKey, 'ch_1');
});

test('every provider in the sample sources file gets its sample through to the topic', async () => {
  const { loadSources } = await import('../shared/src/sources.ts');
  const { send } = await import('../cli/src/send.ts');
  const before = events.messages.length;
  const sources = loadSources('config/sources.local.yaml', {});
  for (const source of sources) {
    const result = await send({ source, ingressUrl: `http://127.0.0.1:${ingress.port}` });
    assert.equal(result.status, 202, `${source.name}: ${result.text}`);
  }
  const arrived = await events.waitForCount(before + sources.length);
  assert.deepEqual(new Set(arrived.slice(before).map((m) => m.attributes.source)), new Set(sources.map((s) => s.name)));
});

test('a publish Pub/Sub refuses (no such topic) is answered 503 with Retry-After, never 2xx', async () => {
  const orphan = await startIngress(env(`${topology.topic}-missing`, { HOOKPIPE_PUBLISH_TIMEOUT_MS: '3000' }));
  try {
    const response = await stripeRequest(orphan.port).send();
    assert.equal(response.status, 503);
    assert.ok(Number(response.headers.get('retry-after')) > 0);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'unavailable');
    assert.deepEqual(orphan.publisher.outstanding(), { messages: 0, bytes: 0 });
  } finally {
    await orphan.shutdown('test');
  }
});

test('SIGTERM: the ingress finishes what is under way, flushes, exits 0 within 10 s, and every 202 is on the topic', async () => {
  const child = spawn(process.execPath, ['ingress/src/main.ts'], { env: env(topology.topic, { LOG_LEVEL: 'info' }), stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { message?: string; port?: number };
      if (entry.message === 'ingress listening') resolve(entry.port!);
    });
    child.once('exit', () => reject(new Error('the ingress exited before listening')));
  });
  const before = events.messages.length;
  const requests = Array.from({ length: 40 }, () => stripeRequest(port));
  const answers = requests.map((request) => request.send().then((r) => r.status, () => 0));
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
    const started = Date.now();
    child.once('exit', (code) => resolve({ code, ms: Date.now() - started }));
  });
  child.kill('SIGTERM');
  const statuses = await Promise.all(answers);
  const { code, ms } = await exited;
  assert.equal(code, 0);
  assert.ok(ms < 10_000, `exited after ${ms} ms`);
  const accepted = requests.filter((_, i) => statuses[i] === 202).map((r) => r.id);
  for (const status of statuses) assert.ok([202, 503, 0].includes(status), `status ${status}`);
  const arrived = await events.waitForCount(before + accepted.length);
  const ids = new Set(arrived.slice(before).map((m) => m.attributes.deliveryId));
  for (const id of accepted) assert.ok(ids.has(id), `${id} was answered 202 but is not on the topic`);
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
