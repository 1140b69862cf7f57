// The whole pipeline through the real emulators: signed webhook -> ingress -> Pub/Sub -> push -> processor ->
// ledger, with retries, dead letters and duplicates. The last test checks the invariant over everything sent
// here: each accepted event ends processed or dead-lettered, exactly one of the two.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Message } from '@google-cloud/pubsub';
import Stripe from 'stripe';
import { z } from 'zod';
import { startIngress } from '../ingress/src/main.ts';
import { PermanentError } from '../shared/src/errors.ts';
import { defineHandler } from '../processor/src/handlers.ts';
import { startProcessor } from '../processor/src/main.ts';
import { AUDIENCE, publicKey, PUSHER, signToken } from './support/push-keys.ts';
import type { Topology } from '../shared/src/topology.ts';
import { uniqueCollection } from './support/firestore.ts';
import { captureLogs } from './support/log-capture.ts';
import { isolatedTopology, tap, testPubSub, type Tap } from './support/pubsub.ts';
import { waitFor } from './support/wait.ts';

const MAX_ATTEMPTS = 5;
const pubsub = testPubSub();
const logs = captureLogs('processor');
const calls = new Map<string, number>();
const accepted = new Set<string>();
let topology: Topology;
let deadLetters: Tap;
let ingress: Awaited<ReturnType<typeof startIngress>>;
let processor: Awaited<ReturnType<typeof startProcessor>>;

// The event id says how the handler behaves, so one processor serves every scenario.
const payments = defineHandler({
  name: 'payments',
  source: 'stripe',
  eventTypes: ['payment_intent.*'],
  schema: z.looseObject({ id: z.string(), data: z.object({ object: z.object({ id: z.string(), amount: z.number() }) }) }),
  resourceKey: (event) => event.data.object.id,
  handle(event) {
    const call = (calls.get(event.deliveryId) ?? 0) + 1;
    calls.set(event.deliveryId, call);
    if (event.deliveryId.startsWith('evt_flaky') && call <= 2) throw new Error(`flaky call ${call}`);
    if (event.deliveryId.startsWith('evt_broken')) throw new Error('the database is down');
    if (event.deliveryId.startsWith('evt_perm')) throw new PermanentError('the customer was deleted');
  },
});

before(async () => {
  const env = {
    ...process.env,
    PORT: '0',
    HOOKPIPE_PUSH_AUTH: 'none',
    HOOKPIPE_MAX_DELIVERY_ATTEMPTS: String(MAX_ATTEMPTS),
    HOOKPIPE_HANDLER_TIMEOUT_MS: '5000',
    HOOKPIPE_LEDGER_COLLECTION: uniqueCollection('ledger'),
    LOG_LEVEL: 'silent',
  };
  // The dead-letter topic must exist before the processor publishes to it, so the topology comes first, and the
  // push endpoint is set once the processor listens.
  topology = await isolatedTopology(pubsub, { maxDeliveryAttempts: MAX_ATTEMPTS, minimumBackoffSeconds: 0, maximumBackoffSeconds: 1 });
  processor = await startProcessor({ ...env, HOOKPIPE_DEAD_LETTER_TOPIC: topology.deadLetterTopic }, { handlers: [payments], logger: logs.logger });
  const { ensureTopology } = await import('../shared/src/topology.ts');
  await ensureTopology(pubsub, topology, { pushEndpoint: `http://127.0.0.1:${processor.port}/pubsub/push` });
  deadLetters = await tap(pubsub, topology.deadLetterTopic);
  ingress = await startIngress({ ...env, HOOKPIPE_SOURCES: 'config/sources.local.yaml', HOOKPIPE_TOPIC: topology.topic });
});

after(async () => {
  await ingress.shutdown('test');
  await processor.shutdown('test');
  await deadLetters.close();
  await pubsub.close();
});

async function sendStripe(id: string): Promise<Response> {
  const body = JSON.stringify({ id, object: 'event', type: 'payment_intent.succeeded', created: 1, data: { object: { id: `pi_${id}`, amount: 100 } } });
  const response = await fetch(`http://127.0.0.1:${ingress.port}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_local_stripe_secret' }) },
    body,
  });
  if (response.status === 202) accepted.add(id);
  return response;
}

const ledger = (id: string) => processor.ledger.get('stripe', id);
const deadLettered = (id: string): Message | undefined => deadLetters.messages.find((m) => m.attributes.deliveryId === id);

test('a signed webhook goes ingress -> Pub/Sub -> push -> processor -> ledger "processed"', async () => {
  assert.equal((await sendStripe('evt_ok_1')).status, 202);
  const entry = await waitFor('evt_ok_1 processed in the ledger', async () => (await ledger('evt_ok_1'))?.status === 'processed' && ledger('evt_ok_1'));
  assert.equal(entry!.attempts, 1);
  assert.equal(entry!.resourceKey, 'pi_evt_ok_1');
  assert.equal(entry!.handler, 'payments');
  assert.equal(calls.get('evt_ok_1'), 1);
  const [line] = await logs.waitForOutcome('evt_ok_1', 'processed');
  assert.equal(line!.source, 'stripe');
  assert.equal(line!.eventType, 'payment_intent.succeeded');
  assert.equal(typeof line!.durationMs, 'number');
});

test('the same delivery twice runs the handler once; the second is acked as a duplicate', async () => {
  assert.equal((await sendStripe('evt_ok_twice')).status, 202);
  await logs.waitForOutcome('evt_ok_twice', 'processed');
  assert.equal((await sendStripe('evt_ok_twice')).status, 202);
  await logs.waitForOutcome('evt_ok_twice', 'duplicate');
  assert.equal(calls.get('evt_ok_twice'), 1);
});

test('a handler failing twice then succeeding ends processed on attempt 3', async () => {
  await sendStripe('evt_flaky_1');
  await logs.waitForOutcome('evt_flaky_1', 'processed', 1, 30_000);
  assert.deepEqual(logs.deliveries('evt_flaky_1').map((e) => e.outcome), ['retry', 'retry', 'processed']);
  const entry = await ledger('evt_flaky_1');
  assert.equal(entry?.status, 'processed');
  assert.equal(entry?.attempts, 3);
  assert.deepEqual(entry?.lastError, { class: 'Error', message: 'flaky call 2' });
});

test(`a handler that always fails ends in the dead-letter topic after ${MAX_ATTEMPTS} attempts, with its error`, async () => {
  await sendStripe('evt_broken_1');
  const message = await waitFor('evt_broken_1 on the dead-letter topic', () => deadLettered('evt_broken_1'), 60_000);
  assert.equal(calls.get('evt_broken_1'), MAX_ATTEMPTS);
  assert.equal(message.attributes.deadLetterReason, 'exhausted');
  assert.equal(message.attributes.errorMessage, 'the database is down');
  assert.equal(message.attributes.errorAttempt, String(MAX_ATTEMPTS));
  assert.equal(message.attributes.source, 'stripe');
  assert.equal(JSON.parse(message.data.toString()).id, 'evt_broken_1');
  assert.equal((await ledger('evt_broken_1'))?.status, 'dead-lettered');
});

test('a permanent failure reaches the dead-letter topic on its first attempt with the error attributes', async () => {
  await sendStripe('evt_perm_1');
  const message = await waitFor('evt_perm_1 on the dead-letter topic', () => deadLettered('evt_perm_1'), 30_000);
  assert.equal(calls.get('evt_perm_1'), 1);
  assert.deepEqual(
    { reason: message.attributes.deadLetterReason, class: message.attributes.errorClass, message: message.attributes.errorMessage, handler: message.attributes.errorHandler, attempt: message.attributes.errorAttempt },
    { reason: 'permanent', class: 'PermanentError', message: 'the customer was deleted', handler: 'payments', attempt: '1' },
  );
  assert.ok(message.attributes.failedAt);
  assert.equal((await ledger('evt_perm_1'))?.status, 'dead-lettered');
});

test('in production mode a push without a valid OIDC token is refused, and a valid one is processed', async () => {
  const secured = await startProcessor(
    {
      ...process.env,
      PORT: '0',
      HOOKPIPE_PUSH_AUTH: 'oidc',
      HOOKPIPE_PUSH_AUDIENCE: AUDIENCE,
      HOOKPIPE_PUSH_SERVICE_ACCOUNT: PUSHER,
      HOOKPIPE_DEAD_LETTER_TOPIC: topology.deadLetterTopic,
      HOOKPIPE_LEDGER_COLLECTION: uniqueCollection('ledger'),
      LOG_LEVEL: 'silent',
    },
    { handlers: [payments], pushKeys: publicKey },
  );
  try {
    const body = JSON.stringify({
      message: {
        data: Buffer.from(JSON.stringify({ id: 'evt_ok_oidc', data: { object: { id: 'pi', amount: 1 } } })).toString('base64'),
        attributes: { source: 'stripe', provider: 'stripe', deliveryId: 'evt_ok_oidc', eventType: 'payment_intent.succeeded', receivedAt: new Date().toISOString() },
        messageId: 'direct-1',
        publishTime: new Date().toISOString(),
      },
      subscription: 'projects/p/subscriptions/s',
    });
    const push = (authorization?: string) =>
      fetch(`http://127.0.0.1:${secured.port}/pubsub/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body,
      });
    assert.equal((await push()).status, 401);
    assert.equal((await push(`Bearer ${signToken({ email: 'intruder@gmail.com' })}`)).status, 403);
    assert.equal(calls.get('evt_ok_oidc'), undefined, 'refused pushes never reach a handler');
    assert.equal((await push(`Bearer ${signToken({})}`)).status, 204);
    assert.equal(calls.get('evt_ok_oidc'), 1);
  } finally {
    await secured.shutdown('test');
  }
});

test('invariant: every event answered 202 above ended processed or dead-lettered, exactly one of the two', async () => {
  assert.ok(accepted.size >= 5);
  for (const id of accepted) {
    const entry = await ledger(id);
    const inDeadLetters = deadLetters.messages.filter((m) => m.attributes.deliveryId === id).length;
    const processed = entry?.status === 'processed';
    assert.ok(processed !== (inDeadLetters > 0), `${id}: ledger ${entry?.status}, ${inDeadLetters} dead letter(s)`);
    if (!processed) assert.equal(entry?.status, 'dead-lettered', id);
  }
});
