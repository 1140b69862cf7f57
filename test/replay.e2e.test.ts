// Replay against the real emulators: dead letters are listed without being consumed, replayed by filter (and only
// those), acked only after the republish is confirmed; a seek replays a time window. Each test has a pipeline and a
// handler of its own, so that each runs alone as well as with the others (`--test-name-pattern`).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { z } from 'zod';
import { seekSubscription } from '../ops/src/seek.ts';
import { defineHandler } from '../processor/src/handlers.ts';
import { PermanentError } from '../shared/src/errors.ts';
import { startPipeline } from './support/pipeline.ts';
import { tap } from './support/pubsub.ts';
import { LOCAL_SOURCES } from './support/stripe.ts';
import { waitFor } from './support/wait.ts';

/** Fails every event with a PermanentError while `broken`; once fixed, counts its runs by delivery id. */
function paymentsHandler() {
  const state = { broken: true, runs: new Map<string, number>() };
  const handler = defineHandler({
    name: 'payments',
    schema: z.looseObject({ id: z.string() }),
    handle(event) {
      if (state.broken) throw new PermanentError(`payments are broken for ${event.source}`);
      state.runs.set(event.deliveryId, (state.runs.get(event.deliveryId) ?? 0) + 1);
    },
  });
  return { state, handler };
}

let pipeline: Awaited<ReturnType<typeof startPipeline>>;
let payments: ReturnType<typeof paymentsHandler>['state'];
beforeEach(async () => {
  const made = paymentsHandler();
  payments = made.state;
  // The emulator cannot seek a subscription with message ordering (real Pub/Sub can), so this one has none.
  pipeline = await startPipeline([made.handler], { topology: { messageOrdering: false } });
});
afterEach(() => pipeline.stop());

const deadLetterIds = async (source?: string) =>
  (await pipeline.ops.deadLetters.list(source ? { source } : {})).items.map((i) => i.deliveryId!);

test('the new user flow: 20 webhooks dead-letter, the handler is fixed, a replay by source processes each exactly once', async () => {
  const stripeIds = await Promise.all(Array.from({ length: 20 }, () => pipeline.sendStripe()));
  const { send } = await import('../cli/src/send.ts');
  const { loadSources } = await import('../ingress/src/providers/index.ts');
  const github = loadSources(LOCAL_SOURCES, {}).find((s) => s.name === 'github')!;
  for (let i = 0; i < 3; i += 1) await send({ source: github, ingressUrl: `http://127.0.0.1:${pipeline.ingress.port}` });

  await waitFor('23 dead letters', async () => (await deadLetterIds()).length === 23, 30_000);
  const listed = await pipeline.ops.deadLetters.list({ source: 'stripe' }, { showBody: true });
  assert.deepEqual(new Set(listed.items.map((i) => i.deliveryId)), new Set(stripeIds));
  assert.equal(listed.items[0]!.errorClass, 'PermanentError');
  assert.match(listed.items[0]!.body!, /"object":"event"/);
  assert.equal((await deadLetterIds()).length, 23, 'listing consumed nothing');

  const dry = await pipeline.ops.deadLetters.redrive({ filter: { source: 'stripe' }, dryRun: true, maxReplays: 5 });
  assert.deepEqual({ matched: dry.matched, replayed: dry.replayed, scanned: dry.scanned }, { matched: 20, replayed: 0, scanned: 23 });
  assert.equal((await deadLetterIds()).length, 23, 'a dry run changes nothing');

  payments.broken = false;
  let asked = -1;
  const summary = await pipeline.ops.deadLetters.redrive({
    filter: { source: 'stripe' },
    maxReplays: 5,
    confirm: async (count) => {
      asked = count;
      return true;
    },
  });
  assert.equal(asked, 20, 'the count is shown before acting');
  assert.deepEqual(
    { matched: summary.matched, replayed: summary.replayed, failed: summary.failed, skipped: summary.skipped },
    { matched: 20, replayed: 20, failed: 0, skipped: 0 },
  );

  await waitFor(
    '20 replayed events processed',
    async () => {
      const entries = await Promise.all(stripeIds.map((id) => pipeline.ledger(id)));
      return entries.every((e) => e?.status === 'processed');
    },
    30_000,
  );
  for (const id of stripeIds) assert.equal(payments.runs.get(id), 1, `${id} ran once`);
  assert.equal((await pipeline.ledger(stripeIds[0]!))!.replayCount, 1);
  assert.deepEqual((await deadLetterIds()).length, 3, 'the non-matching github dead letters stayed');
  assert.deepEqual(await deadLetterIds('stripe'), []);
});

test('declining the confirmation, or a filter matching nothing, leaves every dead letter in place', async () => {
  const ids = await Promise.all([pipeline.sendStripe(), pipeline.sendStripe()]);
  await waitFor('two dead letters', async () => (await deadLetterIds()).length === 2, 30_000);
  payments.broken = false;
  let asked = -1;
  const declined = await pipeline.ops.deadLetters.redrive({
    filter: {},
    maxReplays: 5,
    confirm: async (count) => {
      asked = count;
      return false;
    },
  });
  assert.equal(asked, 2, 'the count was shown');
  assert.deepEqual({ matched: declined.matched, replayed: declined.replayed }, { matched: 2, replayed: 0 });
  const none = await pipeline.ops.deadLetters.redrive({ filter: { source: 'nope' }, maxReplays: 5 });
  assert.deepEqual({ matched: none.matched, replayed: none.replayed }, { matched: 0, replayed: 0 });
  assert.deepEqual(new Set(await deadLetterIds()), new Set(ids));
});

test('a crash between the confirmed republish and the ack leaves one duplicate, which the ledger marks duplicate', async () => {
  const id = await pipeline.sendStripe();
  await waitFor(`${id} dead-lettered`, async () => (await deadLetterIds()).includes(id), 30_000);
  payments.broken = false;
  const crashed = await pipeline.ops.deadLetters.redrive({
    filter: { deliveryIds: [id] },
    maxReplays: 5,
    beforeAck: () => {
      throw new Error('simulated crash after the publish, before the ack');
    },
  });
  assert.deepEqual(
    { replayed: crashed.replayed, ackFailed: crashed.ackFailed, failed: crashed.failed },
    { replayed: 0, ackFailed: 1, failed: 0 },
  );
  await pipeline.logs.waitForOutcome(id, 'processed');
  assert.ok((await deadLetterIds()).includes(id), 'not acked, so still in the dead-letter subscription');

  const again = await pipeline.ops.deadLetters.redrive({ filter: { deliveryIds: [id] }, maxReplays: 5 });
  assert.equal(again.replayed, 1);
  await pipeline.logs.waitForOutcome(id, 'duplicate');
  assert.equal(payments.runs.get(id), 1, 'the handler ran once');
  assert.ok(!(await deadLetterIds()).includes(id));
});

test('a message replayed too often is refused with a clear reason and left in place', async () => {
  const id = await pipeline.sendStripe();
  await waitFor(`${id} dead-lettered`, async () => (await deadLetterIds()).includes(id), 30_000);
  const first = await pipeline.ops.deadLetters.redrive({ filter: { deliveryIds: [id] }, maxReplays: 1 });
  assert.equal(first.replayed, 1);
  await waitFor(
    `${id} dead-lettered again after its replay`,
    async () => (await pipeline.ops.deadLetters.list({ deliveryIds: [id] })).items[0]?.replayCount === 1,
    30_000,
  );
  const refused = await pipeline.ops.deadLetters.redrive({ filter: { deliveryIds: [id] }, maxReplays: 1 });
  assert.equal(refused.replayed, 0);
  assert.equal(refused.skipped, 1);
  assert.match(refused.refused[0]!.reason, /redriven 1 times already \(the limit is 1, HOOKPIPE_MAX_REPLAYS\)/);
  assert.ok((await deadLetterIds()).includes(id));
});

test('a dead-lettered event keeps its ordering key, and its redrive republishes it with the key', async () => {
  // Real Pub/Sub puts the ordering key in the push body (https://cloud.google.com/pubsub/docs/reference/rest/v1/
  // PubsubMessage); the emulator (0.8.20) leaves it out of push bodies, though its pulls carry it. So this push is
  // made as Pub/Sub makes it, to the running processor, whose dead-letter publish and the redrive are the real ones.
  const id = `evt_ordered_${Date.now()}`;
  const message = {
    data: Buffer.from(JSON.stringify({ id, object: 'event', data: { object: { id: 'pi_ordered' } } })).toString('base64'),
    attributes: {
      source: 'stripe',
      provider: 'stripe',
      deliveryId: id,
      receivedAt: new Date().toISOString(),
      contentType: 'application/json',
    },
    messageId: `m-${id}`,
    publishTime: new Date().toISOString(),
    orderingKey: 'pi_ordered',
  };
  const push = await fetch(`http://127.0.0.1:${pipeline.processor.port}/pubsub/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message, subscription: pipeline.topology.pushSubscription }),
  });
  assert.equal(push.status, 204, 'dead-lettered, acked once the dead-letter publish was confirmed');
  // The dead-letter topic's subscriptions have no message ordering (as in infra/pubsub.tf): the keyed publish still lands.
  const dead = await waitFor(
    `${id} dead-lettered`,
    () => pipeline.deadLetters.messages.find((m) => m.attributes.deliveryId === id),
    30_000,
  );
  assert.equal(dead.orderingKey, 'pi_ordered', "the processor's own dead-letter publish keeps the message's key");
  assert.equal(dead.attributes.deadLetterReason, 'permanent');
  assert.equal((await pipeline.ops.deadLetters.list({ deliveryIds: [id] })).items[0]?.orderingKey, 'pi_ordered');

  payments.broken = false;
  const events = await tap(pipeline.pubsub, pipeline.topology.topic);
  try {
    assert.equal((await pipeline.ops.deadLetters.redrive({ filter: { deliveryIds: [id] }, maxReplays: 5 })).replayed, 1);
    const [redriven] = await events.waitForCount(1, 20_000);
    assert.deepEqual([redriven!.attributes.deliveryId, redriven!.orderingKey, redriven!.attributes.replayCount], [id, 'pi_ordered', '1']);
    assert.equal(redriven!.attributes.deadLetterReason, undefined, 'the dead-letter attributes are stripped');
    await pipeline.logs.waitForOutcome(id, 'processed');
  } finally {
    await events.close();
  }
});

test('seek replay re-delivers what was published after the given time: duplicates, unless forced once', async () => {
  payments.broken = false;
  const early = await pipeline.sendStripe();
  await pipeline.logs.waitForOutcome(early, 'processed');
  // The emulator seeks to whole seconds: put a second boundary between the two events.
  const since = new Date(Math.ceil(Date.now() / 1000) * 1000);
  await waitFor('the next whole second', () => Date.now() > since.getTime() + 50);
  const late = await pipeline.sendStripe();
  await pipeline.logs.waitForOutcome(late, 'processed');

  const { pubsub, processor } = pipeline;
  await seekSubscription({ pubsub, firestore: processor.firestore, subscription: pipeline.topology.pushSubscription, since, force: false });
  await pipeline.logs.waitForOutcome(late, 'duplicate');
  assert.equal(payments.runs.get(late), 1);

  // Forced: the handlers run again, once, for what was settled before the request.
  await seekSubscription({ pubsub, firestore: processor.firestore, subscription: pipeline.topology.pushSubscription, since, force: true });
  await waitFor(`${late} run a second time`, () => payments.runs.get(late) === 2, 30_000);
  await pipeline.logs.waitForOutcome(late, 'processed', 2);
  assert.equal(payments.runs.get(early), 1, 'nothing published before --since came back');
  assert.equal(pipeline.logs.deliveries(early).length, 1);
});
