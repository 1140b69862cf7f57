// The whole pipeline through the real emulators: signed webhook -> ingress -> Pub/Sub -> push -> processor ->
// ledger, with retries, dead letters and duplicates. Each test sends its own events and runs alone as well as with
// the others (`--test-name-pattern`); the last one checks the invariant over a mix sent at once: each accepted event
// ends processed or dead-lettered, exactly one of the two.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Message } from '@google-cloud/pubsub';
import { z } from 'zod';
import { defineHandler } from '../processor/src/handlers.ts';
import { startProcessor } from '../processor/src/main.ts';
import { PermanentError } from '../shared/src/errors.ts';
import { pipelineEnv, startPipeline } from './support/pipeline.ts';
import { AUDIENCE, PUSHER, publicKey, signToken } from './support/push-keys.ts';
import { waitFor } from './support/wait.ts';

const MAX_ATTEMPTS = 5;
const calls = new Map<string, number>();

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

let pipeline: Awaited<ReturnType<typeof startPipeline>>;
before(async () => {
  pipeline = await startPipeline([payments], { maxAttempts: MAX_ATTEMPTS, env: { HOOKPIPE_HANDLER_TIMEOUT_MS: '5000' } });
});
after(() => pipeline.stop());

const sendStripe = (id: string) => pipeline.sendStripe({ id });
const ledger = (id: string) => pipeline.ledger(id);
const deadLettered = (id: string): Message | undefined => pipeline.deadLetters.messages.find((m) => m.attributes.deliveryId === id);

test('a signed webhook goes ingress -> Pub/Sub -> push -> processor -> ledger "processed"', async () => {
  await sendStripe('evt_ok_1');
  const entry = await waitFor('evt_ok_1 processed in the ledger', async () => {
    const found = await ledger('evt_ok_1');
    return found?.status === 'processed' && found;
  });
  assert.equal(entry!.attempts, 1);
  assert.equal(entry!.resourceKey, 'pi_evt_ok_1');
  assert.equal(entry!.handler, 'payments');
  assert.equal(calls.get('evt_ok_1'), 1);
  const [line] = await pipeline.logs.waitForOutcome('evt_ok_1', 'processed');
  assert.equal(line!.source, 'stripe');
  assert.equal(line!.eventType, 'payment_intent.succeeded');
  assert.equal(typeof line!.durationMs, 'number');
});

test('the same delivery twice runs the handler once; the second is acked as a duplicate', async () => {
  await sendStripe('evt_ok_twice');
  await pipeline.logs.waitForOutcome('evt_ok_twice', 'processed');
  await sendStripe('evt_ok_twice');
  await pipeline.logs.waitForOutcome('evt_ok_twice', 'duplicate');
  assert.equal(calls.get('evt_ok_twice'), 1);
});

test('a handler failing twice then succeeding ends processed on attempt 3', async () => {
  await sendStripe('evt_flaky_1');
  await pipeline.logs.waitForOutcome('evt_flaky_1', 'processed', 1, 30_000);
  assert.deepEqual(
    pipeline.logs.deliveries('evt_flaky_1').map((e) => e.outcome),
    ['retry', 'retry', 'processed'],
  );
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
  // The ledger is written once the dead-letter publish is confirmed: after the message can be seen on the topic.
  await waitFor('evt_broken_1 dead-lettered in the ledger', async () => (await ledger('evt_broken_1'))?.status === 'dead-lettered');
});

test('a permanent failure reaches the dead-letter topic on its first attempt with the error attributes', async () => {
  await sendStripe('evt_perm_1');
  const message = await waitFor('evt_perm_1 on the dead-letter topic', () => deadLettered('evt_perm_1'), 30_000);
  assert.equal(calls.get('evt_perm_1'), 1);
  assert.deepEqual(
    {
      reason: message.attributes.deadLetterReason,
      class: message.attributes.errorClass,
      message: message.attributes.errorMessage,
      handler: message.attributes.errorHandler,
      attempt: message.attributes.errorAttempt,
    },
    { reason: 'permanent', class: 'PermanentError', message: 'the customer was deleted', handler: 'payments', attempt: '1' },
  );
  assert.ok(message.attributes.failedAt);
  // The ledger is written once the dead-letter publish is confirmed: after the message can be seen on the topic.
  await waitFor('evt_perm_1 dead-lettered in the ledger', async () => (await ledger('evt_perm_1'))?.status === 'dead-lettered');
});

test('in production mode a push without a valid OIDC token is refused, and a valid one is processed', async () => {
  const secured = await startProcessor(
    pipelineEnv(pipeline.topology, { HOOKPIPE_PUSH_AUTH: 'oidc', HOOKPIPE_PUSH_AUDIENCE: AUDIENCE, HOOKPIPE_PUSH_SERVICE_ACCOUNT: PUSHER }),
    { handlers: [payments], pushKeys: publicKey },
  );
  try {
    const body = JSON.stringify({
      message: {
        data: Buffer.from(JSON.stringify({ id: 'evt_ok_oidc', data: { object: { id: 'pi', amount: 1 } } })).toString('base64'),
        attributes: {
          source: 'stripe',
          provider: 'stripe',
          deliveryId: 'evt_ok_oidc',
          eventType: 'payment_intent.succeeded',
          receivedAt: new Date().toISOString(),
        },
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

test('invariant: a mix sent at once ends each event processed or dead-lettered, one of the two, and runs a duplicate once', async () => {
  const expected = {
    evt_ok_mix: 'processed',
    evt_flaky_mix: 'processed',
    evt_broken_mix: 'dead-lettered',
    evt_perm_mix: 'dead-lettered',
  } as const;
  const ids = Object.keys(expected) as Array<keyof typeof expected>;
  await Promise.all([...ids, 'evt_ok_mix'].map((id) => sendStripe(id)));
  // The processor's word that each event is settled, and the resent one a duplicate; the ledger and the
  // dead-letter topic must then agree with it.
  const settled = (id: string) => pipeline.logs.deliveries(id).some((e) => e.outcome === 'processed' || e.outcome === 'dead-lettered');
  await waitFor('each event settled', () => ids.every(settled), 60_000);
  await pipeline.logs.waitForOutcome('evt_ok_mix', 'duplicate', 1, 30_000);
  for (const id of ids) {
    const status = (await ledger(id))?.status;
    assert.equal(status, expected[id], `${id}: the ledger says ${status}`);
    if (status === 'dead-lettered') await waitFor(`${id} on the dead-letter topic`, () => deadLettered(id));
    else assert.equal(deadLettered(id), undefined, `${id} is processed and also dead-lettered`);
  }
  assert.equal(calls.get('evt_ok_mix'), 1, 'the resent event ran once');
});
