// One trace per webhook, end to end on the emulators. The services run as Cloud Run runs them (their own processes,
// JSON lines on stdout, tracing off as by default), behind a model of Cloud Run's front end that forwards each request
// and writes its request-log entry (test/support/request-log.ts). Whatever trace header the webhook came with (a
// traceparent, an X-Cloud-Trace-Context, none, or a forged one), Cloud Run's request-log entry, the processor's
// delivery line and the handler's line name one trace (`trace`, lifted by Cloud Logging from a line's
// `logging.googleapis.com/trace`): what Cloud Logging groups one webhook's entries by in production. At the default
// level the ingress writes no line for an accepted webhook (the request log has it); at LOG_LEVEL=debug its line joins
// the same trace. The message carries the trace in its attribute, which never holds a header's bytes verbatim: the
// ingress's own defence is shown without the front end too, since it must not rely on it. Then, in process with
// tracing on and the spans exported to memory, the ingress's span and the processor's span are one trace through the
// real Pub/Sub, the delivery's the child of the request's.
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
import { type FrontEnd, runAppOrigin, startFrontEnd } from './support/request-log.ts';
import { type ServiceProcess, spawnIngress, spawnService } from './support/services.ts';
import { KeptSpans } from './support/spans.ts';
import { newEventId, stripeWebhook } from './support/stripe.ts';
import { readTerraform, resource } from './support/terraform.ts';
import { waitFor } from './support/wait.ts';

const PROJECT = process.env.GOOGLE_CLOUD_PROJECT ?? 'hookpipe-local';
const TRACE_FIELD = 'logging.googleapis.com/trace';
const traceName = (traceId: string) => `projects/${PROJECT}/traces/${traceId}`;

let pubsub: PubSub;
let processor: ServiceProcess;
let published: Tap;
let env: NodeJS.ProcessEnv;
/** The ingress at the default level (info) and at debug, each behind its own front end. */
const at: Record<'info' | 'debug', { ingress: ServiceProcess; frontEnd: FrontEnd }> = {} as never;
before(async () => {
  pubsub = testPubSub();
  const topology = await isolatedTopology(pubsub, { maxDeliveryAttempts: 5, ...FAST_RETRIES });
  env = pipelineEnv(topology, { HOOKPIPE_HANDLERS: 'test/support/logging-handlers.ts', LOG_LEVEL: 'info', GOOGLE_CLOUD_PROJECT: PROJECT });
  processor = await spawnService('processor', env);
  await ensureTopology(pubsub, topology, { pushEndpoint: `http://127.0.0.1:${processor.port}/pubsub/push` });
  // What the ingress published, attributes and all, read as a pull subscriber reads it.
  published = await tap(pubsub, topology.topic);
  const service = String(resource(await readTerraform('infra'), 'google_cloud_run_v2_service', 'ingress').name);
  const identity = { projectId: PROJECT, service, origin: runAppOrigin(service) };
  for (const [level, ingress] of [
    ['info', await spawnIngress(env)],
    ['debug', await spawnService('ingress', { ...env, PORT: '0', LOG_LEVEL: 'debug' })],
  ] as const) {
    at[level] = { ingress, frontEnd: await startFrontEnd(ingress.port, identity) };
  }
});
after(async () => {
  for (const { frontEnd } of Object.values(at)) await frontEnd.close();
  for (const service of [at.info?.ingress, at.debug?.ingress, processor]) {
    if (!service) continue;
    service.child.kill('SIGTERM');
    await service.exited;
  }
  await published?.close();
  await pubsub?.close();
});

interface Sent {
  /** The request-log entry the front end wrote, when the webhook went through it. */
  requestLog?: { trace?: string | undefined; spanId?: string | undefined } | undefined;
  /** The ingress's accepted line: written at debug only. */
  ingressLine?: LogEntry | undefined;
  deliveryLine: LogEntry;
  handlerLine: LogEntry;
  attribute: string | undefined;
}

/**
 * Sends a Stripe event with `headers` added to the ingress at `level`, through its front end or straight to it; once
 * processed, its entries (request log, ingress line if any, delivery line, handler line) and its message's attribute.
 */
async function send(headers: Record<string, string>, level: 'info' | 'debug', via: 'front end' | 'ingress' = 'front end'): Promise<Sent> {
  const { ingress, frontEnd } = at[level];
  const port = via === 'front end' ? frontEnd.port : ingress.port;
  const webhook = stripeWebhook(port, { id: newEventId() });
  const logged = frontEnd.entries.length;
  const response = await fetch(`http://127.0.0.1:${port}/webhooks/stripe`, {
    method: 'POST',
    headers: { ...webhook.headers, ...headers },
    body: webhook.body,
  });
  assert.equal(response.status, 202);
  await response.arrayBuffer();
  const id = webhook.id;
  // Requests here go one at a time: this one's entry is the one the front end wrote since.
  const written = frontEnd.entries.slice(logged);
  assert.equal(written.length, via === 'front end' ? 1 : 0);
  const ofId = (entry: LogEntry) => entry.deliveryId === id;
  const deliveryLine = await processor.waitForLog(`delivery ${id}`, (e) => ofId(e) && e.event === 'delivery');
  const handlerLine = await processor.waitForLog(`handler line ${id}`, (e) => ofId(e) && e.message === 'handler ran');
  const message = await waitFor(`message ${id} on the topic`, () => published.messages.find((m) => m.attributes.deliveryId === id));
  assert.equal(DeliveryLine.loose().parse(deliveryLine).outcome, 'processed');
  assert.equal(typeof deliveryLine.latencyMs, 'number');
  // The ingress wrote its line, if any, before it answered; the delivery came later, through Pub/Sub.
  const ingressLines = ingress.logs.filter((e) => ofId(e) && e.event === 'webhook');
  assert.equal(ingressLines.length, level === 'debug' ? 1 : 0, `the ingress's accepted line at ${level}`);
  const ingressLine = ingressLines[0];
  if (ingressLine) {
    assert.equal(WebhookLine.loose().parse(ingressLine).outcome, 'accepted');
    assert.equal(ingressLine.severity, 'DEBUG');
  }
  return { requestLog: written[0], ingressLine, deliveryLine, handlerLine, attribute: message!.attributes[TRACE_ATTRIBUTE] };
}

/** The traces Cloud Logging would group by: the request log's `trace`, and each line's `logging.googleapis.com/trace`. */
const tracesOf = (sent: Sent) => [
  ...(sent.requestLog ? [sent.requestLog.trace] : []),
  ...[sent.ingressLine, sent.deliveryLine, sent.handlerLine].filter((line) => line !== undefined).map((line) => line[TRACE_FIELD]),
];

test("a traceparent: Cloud Run's request-log entry, the delivery's and the handler's lines are in its trace", async () => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const sent = await send({ traceparent: `00-${traceId}-b7ad6b7169203331-01` }, 'info');
  assert.deepEqual(tracesOf(sent), [traceName(traceId), traceName(traceId), traceName(traceId)]);
  // The front end's span is the request's parent, as on Cloud Run; the message continues from there.
  assert.equal(sent.attribute, `00-${traceId}-${sent.requestLog!.spanId}-01`);
});

test('an X-Cloud-Trace-Context: the same, the front end handing its trace on', async () => {
  const traceId = '105445aa7843bc8bf206b12000100000';
  const sent = await send({ 'x-cloud-trace-context': `${traceId}/1234567890;o=1` }, 'info');
  assert.deepEqual(tracesOf(sent), [traceName(traceId), traceName(traceId), traceName(traceId)]);
  assert.equal(sent.attribute, `00-${traceId}-${sent.requestLog!.spanId}-01`);
});

test("no trace header: the front end's new trace, shared by the three all the same", async () => {
  const sent = await send({}, 'info');
  const traceId = /^projects\/[^/]+\/traces\/([0-9a-f]{32})$/.exec(sent.requestLog?.trace ?? '')?.[1];
  assert.ok(traceId, `a trace in the request log: ${sent.requestLog?.trace}`);
  assert.deepEqual(tracesOf(sent), [traceName(traceId), traceName(traceId), traceName(traceId)]);
  assert.equal(sent.attribute, `00-${traceId}-${sent.requestLog!.spanId}-00`);
});

const FORGED_TRACE = '0af7651916cd43dd8448eb211c80319c';
const FORGED = `00-${FORGED_TRACE}-b7ad6b7169203331-01-"},"severity":"CRITICAL`;
/** What a forged traceparent must never do: reach the attribute or a line, or steer the trace. */
function assertForgeryContained(sent: Sent, lines: number) {
  assert.notEqual(sent.attribute, FORGED);
  assert.match(sent.attribute ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  assert.doesNotMatch(sent.attribute ?? '', new RegExp(FORGED_TRACE));
  const fresh = sent.attribute!.slice(3, 35);
  assert.deepEqual(tracesOf(sent), Array(lines).fill(traceName(fresh)));
  for (const { ingress } of Object.values(at)) assert.ok(!ingress.logs.some((entry) => entry.severity === 'CRITICAL'));
}

test('a forged, malformed traceparent through the front end: a trace of its own, never the header verbatim', async () => {
  const sent = await send({ traceparent: FORGED }, 'info');
  assertForgeryContained(sent, 3);
});

test("at LOG_LEVEL=debug the ingress's own accepted line carries the same trace as the request log and the processor's", async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const sent = await send({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` }, 'debug');
  assert.deepEqual(tracesOf(sent), Array(4).fill(traceName(traceId)));
  assert.equal(sent.ingressLine!['logging.googleapis.com/spanId'], sent.requestLog!.spanId, "the front end's span is its parent");
});

test('without the front end, the ingress defends itself: a forged traceparent gets a trace of its own in every line', async () => {
  const sent = await send({ traceparent: FORGED }, 'debug', 'ingress');
  assertForgeryContained(sent, 3);
});

test("without the front end, an X-Cloud-Trace-Context's decimal span is converted for the message's traceparent", async () => {
  const traceId = '105445aa7843bc8bf206b12000100000';
  const sent = await send({ 'x-cloud-trace-context': `${traceId}/1234567890;o=1` }, 'debug', 'ingress');
  assert.deepEqual(tracesOf(sent), Array(3).fill(traceName(traceId)));
  assert.equal(sent.attribute, `00-${traceId}-00000000499602d2-01`);
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
