// The processor as started by main.ts, on the emulators: it takes its ack deadline and delivery attempts from the
// push subscription (the environment only when that cannot be read), and on SIGTERM it abandons the handlers still
// running at the drain deadline, answering retry and leaving their leases to expire.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { z } from 'zod';
import type { PushEnvelope } from '../../shared/src/contract.ts';
import { testFirestore, uniqueCollection } from '../../test/support/firestore.ts';
import { captureLogs } from '../../test/support/log-capture.ts';
import { isolatedTopology, testPubSub } from '../../test/support/pubsub.ts';
import { waitFor } from '../../test/support/wait.ts';
import { defineHandler, type Handler } from './handlers.ts';
import { startProcessor } from './main.ts';

const pubsub = testPubSub();
const firestore = testFirestore();
after(async () => {
  await pubsub.close();
  await firestore.terminate();
});

function envelope(deliveryId: string, deliveryAttempt?: number): PushEnvelope {
  return {
    message: {
      data: Buffer.from(JSON.stringify({ id: deliveryId })).toString('base64'),
      attributes: {
        source: 'stripe',
        provider: 'stripe',
        deliveryId,
        receivedAt: new Date().toISOString(),
        contentType: 'application/json',
      },
      messageId: randomUUID(),
      publishTime: new Date().toISOString(),
    },
    subscription: 'projects/p/subscriptions/s',
    ...(deliveryAttempt === undefined ? {} : { deliveryAttempt }),
  };
}

const handlerDoing = (handle: Handler['handle']) =>
  defineHandler({ name: 'h', source: 'stripe', schema: z.looseObject({ id: z.string() }), handle });

async function start(handler: Handler, env: NodeJS.ProcessEnv) {
  const logs = captureLogs('processor');
  const processor = await startProcessor(
    {
      ...process.env,
      PORT: '0',
      HOOKPIPE_PUSH_AUTH: 'none',
      HOOKPIPE_ADMIN: 'false',
      HOOKPIPE_LEDGER_COLLECTION: uniqueCollection('ledger'),
      LOG_LEVEL: 'silent',
      ...env,
    },
    { handlers: [handler], logger: logs.logger },
  );
  const push = (body: PushEnvelope) =>
    fetch(`http://127.0.0.1:${processor.port}/pubsub/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  return { processor, logs, push };
}

test("the push subscription's maxDeliveryAttempts (7) and ack deadline win over the environment's", async () => {
  const topology = await isolatedTopology(pubsub, { maxDeliveryAttempts: 7, ackDeadlineSeconds: 30 }, 'http://127.0.0.1:9/pubsub/push');
  const failing = handlerDoing(() => {
    throw new Error('down');
  });
  const { processor, logs, push } = await start(failing, {
    HOOKPIPE_PUSH_SUBSCRIPTION: topology.pushSubscription,
    HOOKPIPE_DEAD_LETTER_TOPIC: topology.deadLetterTopic,
    HOOKPIPE_MAX_DELIVERY_ATTEMPTS: '10',
  });
  try {
    const { timing } = processor.config;
    const used = [timing.source, timing.maxDeliveryAttempts, timing.ackDeadlineSeconds, timing.handlerTimeoutMs];
    assert.deepEqual(used, ['subscription', 7, 30, 24_000]);
    const drift = logs.entries.find((e) => e.variable === 'HOOKPIPE_MAX_DELIVERY_ATTEMPTS');
    assert.deepEqual([drift?.environment, drift?.subscription], [10, 7]);
    // Attempt 6 of 7 is retried; the 7th is the last, and dead-letters itself with its error.
    assert.equal((await push(envelope('evt_six', 6))).status, 503);
    assert.equal((await push(envelope('evt_seven', 7))).status, 204);
    const last = logs.entries.find((e) => e.deliveryId === 'evt_seven' && e.outcome);
    assert.deepEqual([last?.outcome, last?.reason], ['dead-lettered', 'exhausted']);
  } finally {
    await processor.shutdown('test');
  }
});

test("when the subscription cannot be read the environment's values stand, and the log says so", async () => {
  const { processor, logs } = await start(
    handlerDoing(() => {}),
    { HOOKPIPE_PUSH_SUBSCRIPTION: `missing-${randomUUID()}`, HOOKPIPE_MAX_DELIVERY_ATTEMPTS: '6', HOOKPIPE_ACK_DEADLINE_SECONDS: '20' },
  );
  try {
    const { timing } = processor.config;
    assert.deepEqual([timing.source, timing.maxDeliveryAttempts, timing.ackDeadlineSeconds], ['environment', 6, 20]);
    const warning = logs.entries.find((e) => e.message?.startsWith('cannot read the push subscription'));
    assert.equal(warning?.severity, 'WARNING');
  } finally {
    await processor.shutdown('test');
  }
});

test('SIGTERM: a handler still running at the drain deadline is answered retry, not processed, and its lease left to expire', async () => {
  let started = false;
  const stuck = handlerDoing(() => {
    started = true;
    return new Promise<void>(() => {});
  });
  const { processor, push } = await start(stuck, {
    HOOKPIPE_PUSH_SUBSCRIPTION: `missing-${randomUUID()}`,
    HOOKPIPE_SHUTDOWN_TIMEOUT_MS: '2000',
    HOOKPIPE_HANDLER_TIMEOUT_MS: '30000',
  });
  const answer = push(envelope('evt_stuck'));
  await waitFor('the handler to start', () => started);
  const stopAt = Date.now();
  await processor.shutdown('SIGTERM');
  const stoppedIn = Date.now() - stopAt;
  const response = await answer;
  assert.equal(response.status, 503);
  assert.deepEqual(await response.json(), { outcome: 'retry', reason: 'ShutdownError' });
  assert.ok(stoppedIn >= 1000 && stoppedIn < 2000, `stopped after the 1 s drain deadline, inside the 2 s budget (${stoppedIn} ms)`);

  const entry = (await firestore.collection(processor.config.HOOKPIPE_LEDGER_COLLECTION).doc('stripe:evt_stuck').get()).data()!;
  assert.equal(entry.status, 'failed');
  assert.equal(entry.lastError.class, 'ShutdownError');
  const claimedAt = entry.createdAt.toMillis();
  assert.equal(entry.leaseExpiresAt.toMillis(), claimedAt + processor.config.timing.leaseMs, 'the lease is kept, not released or extended');
});
