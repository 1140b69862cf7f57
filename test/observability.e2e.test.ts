// One trace per webhook, end to end on the emulators. The services run as Cloud Run runs them (their own processes,
// JSON lines on stdout, tracing off as by default): whatever trace header the webhook came with (a traceparent, an
// X-Cloud-Trace-Context, none, or a forged one), the ingress's line, the processor's delivery line and the handler's
// line name one `logging.googleapis.com/trace`, carried by the message's attribute, which never holds a header's
// bytes verbatim. Then, in process with tracing on and the spans exported to memory, the ingress's span and the
// processor's span are one trace through the real Pub/Sub, the delivery's the child of the request's.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { PubSub } from '@google-cloud/pubsub';
import { z } from 'zod';
import { startIngress } from '../ingress/src/main.ts';
import { defineHandler } from '../processor/src/handlers.ts';
import { startProcessor } from '../processor/src/main.ts';
import { TRACE_ATTRIBUTE } from '../shared/src/contract.ts';
import { DeliveryLine, WebhookLine } from '../shared/src/metric-lines.ts';
import { ensureTopology } from '../shared/src/topology.ts';
import { captureLogs, type LogEntry } from './support/log-capture.ts';
import { FAST_RETRIES, pipelineEnv } from './support/pipeline.ts';
import { isolatedTopology, type Tap, tap, testPubSub } from './support/pubsub.ts';
import { type ServiceProcess, spawnIngress, spawnService } from './support/services.ts';
import { KeptSpans } from './support/spans.ts';
import { newEventId, stripeWebhook } from './support/stripe.ts';
import { waitFor } from './support/wait.ts';

const PROJECT = process.env.GOOGLE_CLOUD_PROJECT ?? 'hookpipe-local';
const TRACE_FIELD = 'logging.googleapis.com/trace';
const traceName = (traceId: string) => `projects/${PROJECT}/traces/${traceId}`;

let pubsub: PubSub;
let ingress: ServiceProcess;
let processor: ServiceProcess;
let published: Tap;
let env: NodeJS.ProcessEnv;
before(async () => {
  pubsub = testPubSub();
  const topology = await isolatedTopology(pubsub, { maxDeliveryAttempts: 5, ...FAST_RETRIES });
  env = pipelineEnv(topology, { HOOKPIPE_HANDLERS: 'test/support/logging-handlers.ts', LOG_LEVEL: 'info', GOOGLE_CLOUD_PROJECT: PROJECT });
  processor = await spawnService('processor', env);
  await ensureTopology(pubsub, topology, { pushEndpoint: `http://127.0.0.1:${processor.port}/pubsub/push` });
  // What the ingress published, attributes and all, read as a pull subscriber reads it.
  published = await tap(pubsub, topology.topic);
  ingress = await spawnIngress(env);
});
after(async () => {
  for (const service of [ingress, processor]) {
    if (!service) continue;
    service.child.kill('SIGTERM');
    await service.exited;
  }
  await published?.close();
  await pubsub?.close();
});

/** Sends a Stripe event with `headers` added; once processed, its three lines (ingress, delivery, handler) and message. */
async function send(headers: Record<string, string>) {
  const webhook = stripeWebhook(ingress.port, { id: newEventId() });
  const response = await fetch(`http://127.0.0.1:${ingress.port}/webhooks/stripe`, {
    method: 'POST',
    headers: { ...webhook.headers, ...headers },
    body: webhook.body,
  });
  assert.equal(response.status, 202);
  const id = webhook.id;
  const ofId = (entry: LogEntry) => entry.deliveryId === id;
  const ingressLine = WebhookLine.loose().parse(await ingress.waitForLog(`webhook ${id}`, (e) => ofId(e) && e.event === 'webhook'));
  const deliveryLine = DeliveryLine.loose().parse(await processor.waitForLog(`delivery ${id}`, (e) => ofId(e) && e.event === 'delivery'));
  const handlerLine = await processor.waitForLog(`handler line ${id}`, (e) => ofId(e) && e.message === 'handler ran');
  const message = await waitFor(`message ${id} on the topic`, () => published.messages.find((m) => m.attributes.deliveryId === id));
  assert.equal(ingressLine.outcome, 'accepted');
  assert.equal(deliveryLine.outcome, 'processed');
  assert.equal(typeof deliveryLine.latencyMs, 'number');
  const traces = [ingressLine, deliveryLine, handlerLine].map((line) => (line as LogEntry)[TRACE_FIELD]);
  return { traces, attribute: message!.attributes[TRACE_ATTRIBUTE] };
}

test("a traceparent: the ingress's, the delivery's and the handler's lines are in its trace", async () => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const { traces, attribute } = await send({ traceparent: `00-${traceId}-b7ad6b7169203331-01` });
  assert.deepEqual(traces, [traceName(traceId), traceName(traceId), traceName(traceId)]);
  assert.equal(attribute, `00-${traceId}-b7ad6b7169203331-01`);
});

test("an X-Cloud-Trace-Context: the same, its decimal span converted for the message's traceparent", async () => {
  const traceId = '105445aa7843bc8bf206b12000100000';
  const { traces, attribute } = await send({ 'x-cloud-trace-context': `${traceId}/1234567890;o=1` });
  assert.deepEqual(traces, [traceName(traceId), traceName(traceId), traceName(traceId)]);
  assert.equal(attribute, `00-${traceId}-00000000499602d2-01`);
});

test('no trace header: a new trace, shared by the three lines all the same', async () => {
  const { traces, attribute } = await send({});
  const traceId = /^00-([0-9a-f]{32})-[0-9a-f]{16}-00$/.exec(attribute ?? '')?.[1];
  assert.ok(traceId, `a new trace in the attribute: ${attribute}`);
  assert.deepEqual(traces, [traceName(traceId), traceName(traceId), traceName(traceId)]);
});

test('a forged, malformed traceparent never reaches the attribute verbatim; the webhook gets a trace of its own', async () => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const forged = `00-${traceId}-b7ad6b7169203331-01-"},"severity":"CRITICAL`;
  const { traces, attribute } = await send({ traceparent: forged });
  assert.notEqual(attribute, forged);
  assert.match(attribute ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  assert.doesNotMatch(attribute ?? '', new RegExp(traceId));
  const fresh = attribute!.slice(3, 35);
  assert.deepEqual(traces, [traceName(fresh), traceName(fresh), traceName(fresh)]);
  assert.ok(!ingress.logs.some((entry) => entry.severity === 'CRITICAL'));
});

test("tracing on: through the real Pub/Sub, the ingress's span and its child the delivery's span, one trace", async () => {
  const spans = new KeptSpans();
  const logs = captureLogs('processor');
  const topology = await isolatedTopology(pubsub, { maxDeliveryAttempts: 5, ...FAST_RETRIES });
  const tracedEnv = { ...pipelineEnv(topology, { GOOGLE_CLOUD_PROJECT: PROJECT }), HOOKPIPE_TRACING: 'cloud-trace' };
  const handler = defineHandler({ name: 'traced', source: 'stripe', schema: z.looseObject({ id: z.string() }), handle() {} });
  const tracedProcessor = await startProcessor(tracedEnv, { handlers: [handler], logger: logs.logger, spanExporter: spans });
  let tracedIngress: Awaited<ReturnType<typeof startIngress>> | undefined;
  try {
    await ensureTopology(pubsub, topology, { pushEndpoint: `http://127.0.0.1:${tracedProcessor.port}/pubsub/push` });
    tracedIngress = await startIngress(tracedEnv, { spanExporter: spans });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const cloudRunSpan = '00f067aa0ba902b7';
    const webhook = stripeWebhook(tracedIngress.port);
    const response = await fetch(`http://127.0.0.1:${tracedIngress.port}/webhooks/stripe`, {
      method: 'POST',
      headers: { ...webhook.headers, traceparent: `00-${traceId}-${cloudRunSpan}-01` },
      body: webhook.body,
    });
    assert.equal(response.status, 202);
    await logs.waitForOutcome(webhook.id, 'processed');
  } finally {
    // The spans are batched: each service's shutdown exports what it holds.
    await tracedIngress?.shutdown('test');
    await tracedProcessor.shutdown('test');
  }
  const finished = spans.getFinishedSpans();
  const request = finished.find((span) => span.name === 'POST /webhooks/:source');
  const delivery = finished.find((span) => span.name === 'deliver');
  assert.ok(request && delivery, `spans: ${finished.map((span) => span.name).join(', ')}`);
  assert.equal(request.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(delivery.spanContext().traceId, request.spanContext().traceId);
  assert.equal(request.parentSpanContext?.spanId, '00f067aa0ba902b7');
  assert.equal(delivery.parentSpanContext?.spanId, request.spanContext().spanId);
  assert.equal(delivery.attributes['hookpipe.outcome'], 'processed');
});
