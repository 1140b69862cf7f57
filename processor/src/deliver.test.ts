import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { z } from 'zod';
import type { PushEnvelope } from '../../shared/src/contract.ts';
import { PermanentError } from '../../shared/src/errors.ts';
import { createLogger } from '../../shared/src/logger.ts';
import type { OutgoingMessage } from '../../shared/src/pubsub.ts';
import { captureLogs } from '../../test/support/log-capture.ts';
import { MemoryLedger } from '../../test/support/memory-ledger.ts';
import { stripeAttributes } from '../../test/support/messages.ts';
import { type DeliveryDeps, deliver } from './deliver.ts';
import { defineHandler, type Handler } from './handlers.ts';

const logger = createLogger({ service: 'test', level: 'silent' });

type EnvelopeOverrides = {
  attributes?: Record<string, string>;
  body?: string;
  deliveryAttempt?: number;
  messageId?: string;
  orderingKey?: string;
};

function envelope(overrides: EnvelopeOverrides = {}): PushEnvelope {
  return {
    message: {
      data: Buffer.from(overrides.body ?? JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded', amount: 100 })).toString(
        'base64',
      ),
      attributes: overrides.attributes ?? stripeAttributes(),
      messageId: overrides.messageId ?? 'm-1',
      publishTime: '2026-11-24T10:00:00.100Z',
      ...(overrides.orderingKey === undefined ? {} : { orderingKey: overrides.orderingKey }),
    },
    subscription: 'projects/p/subscriptions/s',
    ...(overrides.deliveryAttempt === undefined ? {} : { deliveryAttempt: overrides.deliveryAttempt }),
  };
}

function setup(handlers: Handler[], extra: Partial<DeliveryDeps> = {}, ledger = new MemoryLedger()) {
  const deadLetters: OutgoingMessage[] = [];
  const resumed: string[] = [];
  let deadLetterFails = false;
  const deps: DeliveryDeps = {
    handlers,
    ledger,
    deadLetter: {
      publishMessage: async (message) => {
        if (deadLetterFails) throw new Error('UNAVAILABLE');
        deadLetters.push(message);
        return `dl-${deadLetters.length}`;
      },
      resumePublishing: (orderingKey) => void resumed.push(orderingKey),
    },
    logger,
    handlerTimeoutMs: 200,
    maxDeliveryAttempts: 5,
    unhandled: 'ignore',
    ...extra,
  };
  return { deps, ledger, deadLetters, resumed, failDeadLetter: () => (deadLetterFails = true) };
}

const Payment = z.object({ id: z.string(), type: z.string(), amount: z.number() });

function counting(behaviour: (call: number) => void | Promise<void> = () => {}, fields: Partial<Handler> = {}) {
  const seen: Array<{ payload: unknown; attempt: number }> = [];
  const handler = {
    ...defineHandler({
      name: 'payments',
      source: 'stripe',
      eventTypes: ['payment_intent.*'],
      schema: Payment,
      resourceKey: (payload) => `pi-for-${payload.id}`,
      async handle(event, context) {
        seen.push({ payload: event.payload, attempt: context.attempt });
        await behaviour(seen.length);
      },
    }),
    ...fields,
  } as Handler;
  return { handler, seen };
}

test('a matching handler gets the parsed payload; the ledger records processed with the resource key', async () => {
  const { handler, seen } = counting();
  const { deps, ledger } = setup([handler]);
  const result = await deliver(envelope(), deps);
  assert.equal(result.outcome, 'processed');
  assert.equal(result.attempt, 1);
  assert.deepEqual(seen, [{ payload: { id: 'evt_1', type: 'payment_intent.succeeded', amount: 100 }, attempt: 1 }]);
  const entry = await ledger.get('stripe', 'evt_1');
  assert.equal(entry?.status, 'processed');
  assert.equal(entry?.resourceKey, 'pi-for-evt_1');
  assert.equal(entry?.handler, 'payments');
});

test('a redelivery of a processed event is a duplicate and does not run the handler', async () => {
  const { handler, seen } = counting();
  const { deps } = setup([handler]);
  await deliver(envelope(), deps);
  const again = await deliver(envelope({ messageId: 'm-2' }), deps);
  assert.equal(again.outcome, 'duplicate');
  assert.equal(seen.length, 1);
});

test('a transient failure is a retry with the error in the ledger; the next attempt runs again and succeeds', async () => {
  const { handler, seen } = counting((call) => {
    if (call < 3) throw new Error(`flaky ${call}`);
  });
  const { deps, ledger } = setup([handler]);
  const first = await deliver(envelope(), deps);
  assert.equal(first.outcome, 'retry');
  assert.deepEqual(first.error, { class: 'Error', message: 'flaky 1' });
  assert.equal((await ledger.get('stripe', 'evt_1'))?.status, 'failed');
  assert.equal((await deliver(envelope(), deps)).outcome, 'retry');
  const third = await deliver(envelope(), deps);
  assert.equal(third.outcome, 'processed');
  assert.equal(third.attempt, 3);
  assert.deepEqual(
    seen.map((s) => s.attempt),
    [1, 2, 3],
  );
});

test('a PermanentError dead-letters at once with the error attributes, and is acked only after the publish', async () => {
  const { handler } = counting(() => {
    throw new PermanentError('customer deleted');
  });
  const { deps, ledger, deadLetters } = setup([handler]);
  const result = await deliver(envelope(), deps);
  assert.equal(result.outcome, 'dead-lettered');
  assert.equal(deadLetters.length, 1);
  const { data, attributes } = deadLetters[0]!;
  assert.equal(data.toString(), JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded', amount: 100 }));
  assert.equal(attributes.deliveryId, 'evt_1');
  assert.equal(attributes.deadLetterReason, 'permanent');
  assert.equal(attributes.errorClass, 'PermanentError');
  assert.equal(attributes.errorMessage, 'customer deleted');
  assert.equal(attributes.errorHandler, 'payments');
  assert.equal(attributes.errorAttempt, '1');
  assert.ok(!Number.isNaN(Date.parse(attributes.failedAt!)));
  assert.equal(attributes.originalMessageId, 'm-1');
  assert.equal((await ledger.get('stripe', 'evt_1'))?.status, 'dead-lettered');
});

test('a dead letter keeps its message ordering key; a failed publish with a key resumes the key and is retried', async () => {
  const { handler } = counting(() => {
    throw new PermanentError('customer deleted');
  });
  const sent = setup([handler]);
  assert.equal((await deliver(envelope({ orderingKey: 'pi_123' }), sent.deps)).outcome, 'dead-lettered');
  assert.equal(sent.deadLetters[0]!.orderingKey, 'pi_123', 'a redrive can send it back in order');
  assert.equal((await deliver(envelope({ messageId: 'm-2' }), setup([handler]).deps)).outcome, 'dead-lettered');

  const failing = setup([handler]);
  failing.failDeadLetter();
  const result = await deliver(envelope({ orderingKey: 'pi_123' }), failing.deps);
  assert.equal(result.outcome, 'retry');
  assert.deepEqual(failing.resumed, ['pi_123'], 'resumed, or the client would refuse every later message with the key');
});

test('if the dead-letter publish fails the delivery is not acked (retry), so nothing is lost', async () => {
  const { handler } = counting(() => {
    throw new PermanentError('bad');
  });
  const { deps, ledger, failDeadLetter } = setup([handler]);
  failDeadLetter();
  const result = await deliver(envelope(), deps);
  assert.equal(result.outcome, 'retry');
  assert.equal(result.reason, 'dead-letter publish failed');
  assert.equal((await ledger.get('stripe', 'evt_1'))?.status, 'failed');
});

test('a payload that fails its schema is dead-lettered on its first attempt without running the handler', async () => {
  const { handler, seen } = counting();
  const { deps, deadLetters } = setup([handler]);
  const result = await deliver(envelope({ body: JSON.stringify({ id: 'evt_1', type: 'x', amount: 'a lot' }) }), deps);
  assert.equal(result.outcome, 'dead-lettered');
  assert.equal(seen.length, 0);
  assert.equal(deadLetters[0]!.attributes.errorClass, 'SchemaError');
  assert.match(deadLetters[0]!.attributes.errorMessage!, /amount: Invalid input: expected number/);
  assert.doesNotMatch(deadLetters[0]!.attributes.errorMessage!, /a lot/);
});

test('the last attempt dead-letters itself with the error instead of leaving it to Pub/Sub', async () => {
  const { handler } = counting(() => {
    throw new Error('still down');
  });
  const { deps, deadLetters } = setup([handler]);
  assert.equal((await deliver(envelope({ deliveryAttempt: 4 }), deps)).outcome, 'retry');
  const last = await deliver(envelope({ deliveryAttempt: 5 }), deps);
  assert.equal(last.outcome, 'dead-lettered');
  assert.equal(deadLetters[0]!.attributes.deadLetterReason, 'exhausted');
  assert.equal(deadLetters[0]!.attributes.errorAttempt, '5');
});

test('without deliveryAttempt (the emulator) the attempt is counted by the ledger', async () => {
  const { handler } = counting(() => {
    throw new Error('down');
  });
  const { deps, deadLetters } = setup([handler], { maxDeliveryAttempts: 3 });
  const outcomes = [];
  for (let i = 0; i < 3; i += 1) outcomes.push((await deliver(envelope(), deps)).outcome);
  assert.deepEqual(outcomes, ['retry', 'retry', 'dead-lettered']);
  assert.equal(deadLetters.length, 1);
});

/** A handler that ignores its abort signal and runs until the test lets it go, as a stuck handler would. */
function stuck() {
  let calls = 0;
  let running = 0;
  let mostAtOnce = 0;
  let release = () => {};
  let started = () => {};
  const firstStarted = new Promise<void>((resolve) => (started = resolve));
  const signals: AbortSignal[] = [];
  const { handler } = counting();
  const slow = {
    ...handler,
    handle: async (_event: unknown, context: { signal: AbortSignal }) => {
      calls += 1;
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      signals.push(context.signal);
      try {
        if (calls === 1) {
          started();
          await new Promise<void>((resolve) => (release = resolve));
        }
      } finally {
        running -= 1;
      }
    },
  } as Handler;
  return { handler: slow, firstStarted, release: () => release(), signals, stats: () => ({ calls, mostAtOnce }) };
}

const LEASE_MS = 1000;

function fakeClock(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: new Date('2026-11-24T10:00:00Z') });
  return t.mock.timers;
}

test('a handler past its deadline is aborted and retried, and keeps its lease: it cannot run twice at once', async (t) => {
  const timers = fakeClock(t);
  const logs = captureLogs('processor');
  const slow = stuck();
  const { deps, ledger } = setup([slow.handler], { handlerTimeoutMs: 200, logger: logs.logger }, new MemoryLedger({ leaseMs: LEASE_MS }));

  const first = deliver(envelope(), deps);
  await slow.firstStarted;
  timers.tick(200);
  const timedOut = await first;
  assert.equal(timedOut.outcome, 'retry');
  assert.equal(timedOut.error?.class, 'HandlerTimeoutError');
  assert.equal(slow.signals[0]!.aborted, true, 'the handler is told to stop');

  // Pub/Sub redelivers while the first run still goes on: the lease turns it away.
  timers.tick(500);
  const early = await deliver(envelope({ messageId: 'm-2' }), deps);
  assert.deepEqual(slow.stats(), { calls: 1, mostAtOnce: 1 }, 'the handler must not run a second time beside the first');
  assert.equal(early.outcome, 'retry');
  assert.match(early.reason ?? '', /in progress elsewhere until 2026-11-24T10:00:01.000Z/);
  const entry = (await ledger.get('stripe', 'evt_1'))!;
  assert.equal(entry.status, 'failed');
  assert.equal(entry.lastError?.class, 'HandlerTimeoutError');
  assert.equal(entry.leaseExpiresAt?.getTime(), Date.parse('2026-11-24T10:00:00Z') + LEASE_MS, 'the failure does not shorten the lease');

  // The abandoned run ends late: said in the log, and it changes nothing in the ledger.
  slow.release();
  await new Promise((resolve) => setImmediate(resolve));
  const late = logs.entries.find((e) => e.message?.startsWith('abandoned handler finished after all'));
  assert.deepEqual([late?.deliveryId, late?.messageId], ['evt_1', 'm-1']);
  assert.equal((await ledger.get('stripe', 'evt_1'))?.status, 'failed');

  // Once the lease has expired the event runs again: a handler that never returns cannot block it for good.
  timers.tick(LEASE_MS - 500);
  const later = await deliver(envelope({ messageId: 'm-3' }), deps);
  assert.equal(later.outcome, 'processed');
  assert.equal(later.attempt, 2);
  assert.deepEqual(slow.stats(), { calls: 2, mostAtOnce: 1 });
});

test('on shutdown a running handler is abandoned as a retry, never processed, and keeps its lease; nothing new is claimed', async (t) => {
  const timers = fakeClock(t);
  const slow = stuck();
  const stopping = new AbortController();
  const ledger = new MemoryLedger({ leaseMs: LEASE_MS });
  const { deps } = setup([slow.handler], { handlerTimeoutMs: 5000, stopping: stopping.signal }, ledger);

  const running = deliver(envelope(), deps);
  await slow.firstStarted;
  stopping.abort();
  const stopped = await running;
  assert.equal(stopped.outcome, 'retry');
  assert.equal(stopped.error?.class, 'ShutdownError');
  assert.equal(slow.signals[0]!.aborted, true);

  // The handler still completes, after its answer: the event is not recorded as processed, and its lease holds.
  slow.release();
  await new Promise((resolve) => setImmediate(resolve));
  const entry = (await ledger.get('stripe', 'evt_1'))!;
  assert.equal(entry.status, 'failed');
  assert.equal(entry.leaseExpiresAt?.getTime(), Date.now() + LEASE_MS);

  // A delivery arriving after the stop claims nothing and runs nothing.
  const attributes = { ...envelope().message.attributes, deliveryId: 'evt_2' };
  const refused = await deliver(envelope({ attributes, messageId: 'm-2' }), deps);
  assert.deepEqual([refused.outcome, refused.reason], ['retry', 'shutting down']);
  assert.equal(await ledger.get('stripe', 'evt_2'), undefined);
  assert.equal(slow.stats().calls, 1);

  // Another instance takes the event once the lease has expired.
  timers.tick(LEASE_MS + 1);
  const elsewhere = setup([slow.handler], { handlerTimeoutMs: 5000 }, ledger);
  assert.equal((await deliver(envelope({ messageId: 'm-3' }), elsewhere.deps)).outcome, 'processed');
});

test('dropped ledger writes and a failing resourceKey are logged with the delivery and message ids; outcomes are unchanged', async () => {
  const logs = captureLogs('processor');
  const warnings = (message: string) =>
    logs.entries.filter((e) => e.message === message && e.deliveryId === 'evt_1' && e.messageId === 'm-1');

  const { handler } = counting(
    () => {
      throw new Error('flaky');
    },
    {
      resourceKey: () => {
        throw new TypeError('no id here');
      },
    },
  );
  const { deps, ledger } = setup([handler], { logger: logs.logger });
  ledger.failWrites = new Error('UNAVAILABLE');
  const retried = await deliver(envelope(), deps);
  assert.equal(retried.outcome, 'retry');
  assert.deepEqual(retried.error, { class: 'Error', message: 'flaky' });
  const [keyWarning] = warnings('resourceKey failed; the event is recorded without a resource key');
  assert.deepEqual(keyWarning?.error, { class: 'TypeError', message: 'no id here' });
  const [failWarning] = warnings('ledger not updated after a failed attempt; its lease holds until it expires');
  assert.deepEqual(failWarning?.error, { class: 'Error', message: 'UNAVAILABLE' });

  // The dead-letter publish fails and so does the ledger write: still a retry, and both are in the log.
  const permanent = counting(() => {
    throw new PermanentError('bad');
  });
  const broken = setup([permanent.handler], { logger: logs.logger }, ledger);
  ledger.entries.clear();
  broken.failDeadLetter();
  assert.equal((await deliver(envelope(), broken.deps)).outcome, 'retry');
  assert.equal(warnings('ledger not updated after a failed attempt; its lease holds until it expires').length, 2);
  assert.equal(logs.entries.filter((e) => e.message?.startsWith('dead-letter publish failed') && e.deliveryId === 'evt_1').length, 1);

  // Dead-lettered, but the ledger write fails: acked (the message is safe in the dead-letter topic), and logged.
  const ok = setup([permanent.handler], { logger: logs.logger }, ledger);
  ledger.entries.clear();
  assert.equal((await deliver(envelope(), ok.deps)).outcome, 'dead-lettered');
  assert.equal(warnings('ledger not updated after dead-lettering').length, 1);
});

test('no handler: ignored by default, dead-lettered when configured so', async () => {
  const { handler } = counting(undefined, { eventTypes: ['charge.*'] });
  assert.equal((await deliver(envelope(), setup([handler]).deps)).outcome, 'ignored');
  const strict = setup([handler], { unhandled: 'dead-letter' });
  assert.equal((await deliver(envelope(), strict.deps)).outcome, 'dead-lettered');
  assert.equal(strict.deadLetters[0]!.attributes.deadLetterReason, 'unhandled');
});

test('no handler, ignore: the event is recorded as ignored, so the ledger counts it; a redelivery is a duplicate', async () => {
  const { handler, seen } = counting(undefined, { eventTypes: ['charge.*'] });
  const now = new Date('2026-11-24T10:00:01.000Z');
  const { deps, ledger } = setup([handler], { clock: () => now });
  const result = await deliver(envelope(), deps);
  assert.equal(result.outcome, 'ignored');
  const entry = await ledger.get('stripe', 'evt_1');
  assert.equal(entry?.status, 'ignored');
  assert.equal(entry?.messageId, 'm-1');
  assert.equal(entry?.eventType, 'payment_intent.succeeded');
  assert.equal(entry?.createdAt.getTime(), now.getTime());
  assert.equal(entry?.leaseExpiresAt, undefined, 'no lease: no handler runs');
  assert.deepEqual(
    { outcome: (await deliver(envelope({ messageId: 'm-2' }), deps)).outcome, status: (await ledger.get('stripe', 'evt_1'))?.status },
    { outcome: 'duplicate', status: 'ignored' },
  );
  assert.equal(seen.length, 0);
});

test('no handler, ignore: a ledger that cannot record it is a retry (never an ack the ledger would not count)', async () => {
  const { handler } = counting(undefined, { eventTypes: ['charge.*'] });
  const { deps, ledger } = setup([handler]);
  ledger.failNext = new Error('14 UNAVAILABLE');
  const result = await deliver(envelope(), deps);
  assert.deepEqual(
    { outcome: result.outcome, reason: result.reason, deliveryId: result.deliveryId, error: result.error?.message },
    { outcome: 'retry', reason: 'ledger unavailable', deliveryId: 'evt_1', error: '14 UNAVAILABLE' },
  );
  assert.equal((await deliver(envelope(), deps)).outcome, 'ignored', 'the next attempt records it');
});

test('an ignored event that comes back once a handler takes it (a seek after the deploy, a redrive) runs it once', async () => {
  const { handler: other } = counting(undefined, { eventTypes: ['charge.*'] });
  const ledger = new MemoryLedger();
  assert.equal((await deliver(envelope(), setup([other], {}, ledger).deps)).outcome, 'ignored');
  assert.equal((await deliver(envelope({ messageId: 'm-2' }), setup([other], {}, ledger).deps)).outcome, 'duplicate');
  const { handler, seen } = counting();
  const fixed = setup([handler], {}, ledger);
  assert.equal((await deliver(envelope({ messageId: 'm-3' }), fixed.deps)).outcome, 'processed');
  assert.equal((await deliver(envelope({ messageId: 'm-4' }), fixed.deps)).outcome, 'duplicate');
  assert.equal(seen.length, 1);
  assert.equal((await ledger.get('stripe', 'evt_1'))?.status, 'processed');
});

test('a processed event keeps its receive-to-processed latency, which the stats average', async () => {
  const { handler } = counting();
  const { deps, ledger } = setup([handler], { clock: () => new Date('2026-11-24T10:00:02.500Z') });
  assert.equal((await deliver(envelope(), deps)).outcome, 'processed');
  assert.equal((await ledger.get('stripe', 'evt_1'))?.latencyMs, 2500);
});

test('a message without the ingress attributes is dead-lettered as invalid, not retried forever', async () => {
  const { handler } = counting();
  const { deps, deadLetters } = setup([handler]);
  const result = await deliver(envelope({ attributes: { foo: 'bar' } }), deps);
  assert.equal(result.outcome, 'dead-lettered');
  assert.equal(deadLetters[0]!.attributes.errorClass, 'InvalidAttributes');
});

test('an unavailable ledger is a retry and the handler does not run', async () => {
  const { handler, seen } = counting();
  const { deps, ledger } = setup([handler]);
  ledger.failNext = new Error('DEADLINE_EXCEEDED');
  const result = await deliver(envelope(), deps);
  assert.equal(result.outcome, 'retry');
  assert.equal(result.reason, 'ledger unavailable');
  assert.equal(seen.length, 0);
});

test('an operator replay (replayCount raised) runs a dead-lettered event again; a plain redelivery does not', async () => {
  let fail = true;
  const { handler, seen } = counting(() => {
    if (fail) throw new PermanentError('bug');
  });
  const { deps } = setup([handler]);
  assert.equal((await deliver(envelope(), deps)).outcome, 'dead-lettered');
  assert.equal((await deliver(envelope(), deps)).outcome, 'duplicate');
  fail = false;
  const attributes = { ...envelope().message.attributes, replayCount: '1', replayedAt: '2026-11-24T11:00:00.000Z' };
  assert.equal((await deliver(envelope({ attributes }), deps)).outcome, 'processed');
  assert.equal((await deliver(envelope({ attributes }), deps)).outcome, 'duplicate', 'the same replay twice runs once');
  assert.equal(seen.length, 2);
});

test('form bodies reach handlers as an object of fields', async () => {
  const seen: unknown[] = [];
  const handler = defineHandler({
    name: 'twilio',
    schema: z.looseObject({ MessageStatus: z.string() }),
    handle: (event) => void seen.push(event.payload),
  });
  const attributes = {
    source: 'tw',
    provider: 'twilio',
    deliveryId: 'd1',
    receivedAt: '2026-11-24T10:00:00Z',
    contentType: 'application/x-www-form-urlencoded',
  };
  const result = await deliver(envelope({ attributes, body: 'MessageStatus=delivered&To=%2B1555' }), setup([handler]).deps);
  assert.equal(result.outcome, 'processed');
  assert.deepEqual(seen, [{ MessageStatus: 'delivered', To: '+1555' }]);
});

test('no handler, dead-letter: recorded in the ledger as dead-lettered once the publish is confirmed, never before', async () => {
  const { handler } = counting(undefined, { eventTypes: ['charge.*'] });
  const now = new Date('2026-11-24T10:00:01.000Z');
  const failing = setup([handler], { unhandled: 'dead-letter', clock: () => now });
  failing.failDeadLetter();
  assert.equal((await deliver(envelope(), failing.deps)).outcome, 'retry');
  assert.equal(await failing.ledger.get('stripe', 'evt_1'), undefined, 'not in the dead-letter topic: not recorded as there');

  const { deps, ledger, deadLetters } = setup([handler], { unhandled: 'dead-letter', clock: () => now });
  assert.equal((await deliver(envelope(), deps)).outcome, 'dead-lettered');
  assert.equal(deadLetters.length, 1);
  const entry = await ledger.get('stripe', 'evt_1');
  assert.deepEqual(
    {
      status: entry?.status,
      attempts: entry?.attempts,
      lease: entry?.leaseExpiresAt,
      error: entry?.lastError?.class,
      at: entry?.createdAt,
    },
    { status: 'dead-lettered', attempts: 0, lease: undefined, error: 'NoHandler', at: now },
  );
});

test('no handler, dead-letter: a ledger that cannot record it still acks (the dead letter holds the event), and says so', async () => {
  const logs = captureLogs('processor');
  const { handler } = counting(undefined, { eventTypes: ['charge.*'] });
  const { deps, ledger, deadLetters } = setup([handler], { unhandled: 'dead-letter', logger: logs.logger });
  ledger.failWrites = new Error('14 UNAVAILABLE');
  assert.equal((await deliver(envelope(), deps)).outcome, 'dead-lettered');
  assert.equal(deadLetters.length, 1);
  const warning = logs.entries.find((e) => e.message === 'ledger not updated after dead-lettering an unhandled event');
  assert.deepEqual(
    { deliveryId: warning?.deliveryId, messageId: warning?.messageId, error: warning?.error },
    { deliveryId: 'evt_1', messageId: 'm-1', error: { class: 'Error', message: '14 UNAVAILABLE' } },
  );
});

test('no handler, dead-letter: a processed event keeps its status; redriven to a handler, the dead-lettered one runs', async () => {
  const { handler: other } = counting(undefined, { eventTypes: ['charge.*'] });
  const { handler, seen } = counting();
  const ledger = new MemoryLedger();
  assert.equal((await deliver(envelope(), setup([handler], {}, ledger).deps)).outcome, 'processed');
  const strict = setup([other], { unhandled: 'dead-letter' }, ledger);
  assert.equal((await deliver(envelope({ messageId: 'm-2' }), strict.deps)).outcome, 'dead-lettered');
  assert.equal((await ledger.get('stripe', 'evt_2'))?.status, undefined);
  assert.equal((await ledger.get('stripe', 'evt_1'))?.status, 'processed');

  const fresh = { attributes: stripeAttributes({ deliveryId: 'evt_2' }) };
  assert.equal((await deliver(envelope(fresh), strict.deps)).outcome, 'dead-lettered');
  assert.equal((await ledger.get('stripe', 'evt_2'))?.status, 'dead-lettered');
  const redriven = { attributes: stripeAttributes({ deliveryId: 'evt_2', replayCount: 1, replayedAt: '2026-11-25T10:00:00.000Z' }) };
  assert.equal((await deliver(envelope({ ...redriven, messageId: 'm-3' }), setup([handler], {}, ledger).deps)).outcome, 'processed');
  assert.equal(seen.length, 2);
});

test("a redriven event's latency counts from its redrive, not from its first arrival days before", async () => {
  const { handler } = counting();
  const { deps, ledger } = setup([handler], { clock: () => new Date('2026-11-30T09:00:00.300Z') });
  // Received on the 24th, dead-lettered, and redriven six days later.
  const redriven = stripeAttributes({ replayCount: 1, replayedAt: '2026-11-30T09:00:00.000Z' });
  assert.equal((await deliver(envelope({ attributes: redriven }), deps)).outcome, 'processed');
  assert.equal((await ledger.get('stripe', 'evt_1'))?.latencyMs, 300);
});
