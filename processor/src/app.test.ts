// The processor's push endpoint, in process: each delivery's line is the metric line (DeliveryLine) with its latency
// from the ingress's receipt, and it, deliver.ts's own lines and the handler's are in the webhook's trace; with
// tracing on, the delivery's span is the child of the ingress's span, and the handler's spans nest under it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trace } from '@opentelemetry/api';
import Stripe from 'stripe';
import { z } from 'zod';
import { parseSources } from '../../ingress/src/providers/index.ts';
import { buildTraceAttribute, type PushEnvelope, TRACE_ATTRIBUTE } from '../../shared/src/contract.ts';
import { createLimiter } from '../../shared/src/limiter.ts';
import { DeliveryLine } from '../../shared/src/metric-lines.ts';
import type { OutgoingMessage } from '../../shared/src/pubsub.ts';
import { startTracing, type Tracing } from '../../shared/src/tracing.ts';
import { ingressApp, NOW } from '../../test/support/ingress-app.ts';
import { captureLogs } from '../../test/support/log-capture.ts';
import { MemoryLedger } from '../../test/support/memory-ledger.ts';
import { stripeAttributes } from '../../test/support/messages.ts';
import { KeptSpans } from '../../test/support/spans.ts';
import { createProcessorApp, deliveryLatencyMs } from './app.ts';
import { defineHandler } from './handlers.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const RECEIVED = Date.parse('2026-11-24T10:00:00.000Z');

const payments = defineHandler({
  name: 'payments',
  source: 'stripe',
  schema: z.looseObject({ id: z.string() }),
  handle(event, { logger }) {
    if (event.deliveryId === 'evt_bad') throw new Error('the database is down');
    logger.info({ payment: event.payload.id }, 'payment updated');
    trace.getTracer('handler').startActiveSpan('charge', (span) => span.end());
  },
});

function processor(options: { tracing?: Tracing; deadLetterFails?: boolean } = {}) {
  const logs = captureLogs('processor');
  const deadLetters: OutgoingMessage[] = [];
  const app = createProcessorApp({
    delivery: {
      handlers: [payments],
      ledger: new MemoryLedger(),
      deadLetter: {
        publishMessage: async (message) => {
          if (options.deadLetterFails) throw new Error('UNAVAILABLE');
          deadLetters.push(message);
          return 'dl-1';
        },
        resumePublishing: () => {},
      },
      logger: logs.logger,
      handlerTimeoutMs: 1000,
      maxDeliveryAttempts: 5,
      unhandled: 'ignore',
    },
    logger: logs.logger,
    limiter: createLimiter(4),
    verifyPush: undefined,
    ready: async () => true,
    projectId: 'proj',
    tracer: options.tracing?.tracer,
    clock: () => RECEIVED + 1234,
  });
  let pushes = 0;
  const push = (attributes: Record<string, string>, body = '{"id":"evt_1"}') => {
    pushes += 1;
    const envelope: PushEnvelope = {
      message: { data: Buffer.from(body).toString('base64'), attributes, messageId: `m-${pushes}`, publishTime: new Date().toISOString() },
      subscription: 'projects/proj/subscriptions/s',
    };
    return app.request('/pubsub/push', { method: 'POST', body: JSON.stringify(envelope), headers: { 'content-type': 'application/json' } });
  };
  return { logs, push, deadLetters };
}

test("each delivery's line is a DeliveryLine, its latency from the ingress's receipt", async () => {
  const { logs, push } = processor();
  await push(stripeAttributes({ deliveryId: 'evt_1' }));
  await push(stripeAttributes({ deliveryId: 'evt_1' }));
  await push(stripeAttributes({ deliveryId: 'evt_other', source: 'nobody' }));
  await push({ source: 'stripe' });
  const lines = logs.entries.filter((entry) => entry.event === 'delivery').map((entry) => DeliveryLine.parse(entry));
  assert.deepEqual(
    lines.map(({ outcome, source, deliveryId, messageId, latencyMs }) => ({ outcome, source, deliveryId, messageId, latencyMs })),
    [
      { outcome: 'processed', source: 'stripe', deliveryId: 'evt_1', messageId: 'm-1', latencyMs: 1234 },
      { outcome: 'duplicate', source: 'stripe', deliveryId: 'evt_1', messageId: 'm-2', latencyMs: 1234 },
      { outcome: 'ignored', source: 'nobody', deliveryId: 'evt_other', messageId: 'm-3', latencyMs: 1234 },
      // No receivedAt: dead-lettered as invalid, and no latency to tell.
      { outcome: 'dead-lettered', source: undefined, deliveryId: undefined, messageId: 'm-4', latencyMs: undefined },
    ],
  );
  assert.equal(deliveryLatencyMs({ receivedAt: '2026-11-24T10:00:05.000Z' }, RECEIVED), 0, 'never negative when clocks differ');
});

test("the delivery's line, deliver.ts's own lines and the handler's carry the message's trace", async () => {
  const { logs, push } = processor({ deadLetterFails: true });
  const traced = {
    ...stripeAttributes({ deliveryId: 'evt_1' }),
    ...buildTraceAttribute({ traceId: TRACE, spanId: '00f067aa0ba902b7', sampled: true }),
  };
  await push(traced);
  // The last attempt fails and its dead-letter publish too: deliver.ts says so in its own line.
  const failing = { ...stripeAttributes({ deliveryId: 'evt_bad' }), ...buildTraceAttribute({ traceId: TRACE, sampled: false }) };
  await push(failing);
  const inTrace = logs.entries.filter((entry) => entry['logging.googleapis.com/trace'] === `projects/proj/traces/${TRACE}`);
  assert.deepEqual(
    inTrace.map((entry) => entry.message),
    ['payment updated', 'delivery processed', 'delivery retry'],
  );
  // Tracing off: no span is the processor's own, so none is named; the sampled flag is the message's.
  for (const entry of inTrace) assert.equal(entry['logging.googleapis.com/spanId'], undefined);
  assert.deepEqual(
    inTrace.map((entry) => entry['logging.googleapis.com/trace_sampled']),
    [true, true, false],
  );
  // A message without the attribute (published by something else) is delivered, in no trace.
  await push(stripeAttributes({ deliveryId: 'evt_untraced' }));
  const untraced = logs.entries.find((entry) => entry.deliveryId === 'evt_untraced' && entry.event === 'delivery')!;
  assert.equal(untraced['logging.googleapis.com/trace'], undefined);
  assert.equal(untraced.outcome, 'processed');
});

test('tracing on: the ingress span, then the delivery span its child, then the handler span its child, in one trace', async () => {
  const exporter = new KeptSpans();
  const tracing = (await startTracing('cloud-trace', { service: 'processor', projectId: 'proj', exporter }))!;
  try {
    const secret = 'whsec_trace';
    const sources = parseSources({ sources: [{ name: 'stripe', provider: 'stripe', secrets: [secret] }] });
    const ingress = ingressApp(sources, { projectId: 'proj', tracer: tracing.tracer });
    const body = JSON.stringify({ id: 'evt_traced', type: 'payment_intent.succeeded', data: { object: { id: 'pi_1' } } });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: NOW });
    const cloudRunSpan = '00f067aa0ba902b7';
    const answer = await ingress.app.request('/webhooks/stripe', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'stripe-signature': signature, traceparent: `00-${TRACE}-${cloudRunSpan}-01` },
    });
    assert.equal(answer.status, 202);
    const { logs, push } = processor({ tracing });
    assert.equal((await push(ingress.published[0]!.attributes, body)).status, 204);
    await tracing.shutdown().catch(() => {});

    const spans = exporter.getFinishedSpans();
    const ingressSpan = spans.find((span) => span.name === 'POST /webhooks/:source')!;
    const deliverySpan = spans.find((span) => span.name === 'deliver')!;
    const handlerSpan = spans.find((span) => span.name === 'charge')!;
    assert.deepEqual(
      [ingressSpan, deliverySpan, handlerSpan].map((span) => span.spanContext().traceId),
      [TRACE, TRACE, TRACE],
    );
    assert.equal(ingressSpan.parentSpanContext?.spanId, cloudRunSpan);
    assert.equal(deliverySpan.parentSpanContext?.spanId, ingressSpan.spanContext().spanId);
    assert.equal(handlerSpan.parentSpanContext?.spanId, deliverySpan.spanContext().spanId);
    assert.equal(deliverySpan.attributes['hookpipe.outcome'], 'processed');
    assert.equal(deliverySpan.attributes['hookpipe.source'], 'stripe');
    assert.equal(ingress.published[0]!.attributes[TRACE_ATTRIBUTE], `00-${TRACE}-${ingressSpan.spanContext().spanId}-01`);
    // Each service's lines name its own span.
    const ingressLine = ingress.lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((e) => e.event === 'webhook')!;
    const deliveryLine = logs.entries.find((entry) => entry.event === 'delivery')!;
    const handlerLine = logs.entries.find((entry) => entry.message === 'payment updated')!;
    assert.equal(ingressLine['logging.googleapis.com/spanId'], ingressSpan.spanContext().spanId);
    assert.equal(deliveryLine['logging.googleapis.com/spanId'], deliverySpan.spanContext().spanId);
    assert.equal(handlerLine['logging.googleapis.com/spanId'], deliverySpan.spanContext().spanId);
  } finally {
    await tracing.shutdown().catch(() => {});
  }
});
