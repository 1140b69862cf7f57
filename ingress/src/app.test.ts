import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import Stripe from 'stripe';
import { TRACE_ATTRIBUTE } from '../../shared/src/contract.ts';
import { HttpError } from '../../shared/src/errors.ts';
import { createLogger } from '../../shared/src/logger.ts';
import { WebhookLine } from '../../shared/src/metric-lines.ts';
import { createIngressApp, type IngressDeps } from './app.ts';
import { parseSources } from './providers/index.ts';
import type { BoundedPublisher, OutgoingMessage } from './publisher.ts';

const STRIPE_SECRET = 'whsec_app_test_secret';
const sources = parseSources({
  sources: [
    { name: 'stripe', provider: 'stripe', secrets: [STRIPE_SECRET], maxBodyBytes: 2048, orderingKey: '/data/object/id' },
    { name: 'slack', provider: 'slack', secrets: ['slack-secret'] },
    { name: 'wa', provider: 'meta', secrets: ['meta-secret'], options: { verifyToken: 'vt' } },
    { name: 'plain', provider: 'token', secrets: ['tok'], json: true },
  ],
});

function harness(overrides: Partial<IngressDeps> & { fail?: Error; level?: string } = {}) {
  const published: OutgoingMessage[] = [];
  const lines: string[] = [];
  const publisher: BoundedPublisher = {
    publish: async (message) => {
      if (overrides.fail) throw overrides.fail;
      published.push(message);
      return String(published.length);
    },
    outstanding: () => ({ messages: 0, bytes: 0 }),
    drain: async () => {},
  };
  const logger = createLogger({
    service: 'ingress',
    level: overrides.level ?? 'debug',
    destination: { write: (line: string) => void lines.push(line) },
  });
  const app = createIngressApp({ sources, publisher, logger, ready: async () => true, clock: () => 1_763_000_000_000, ...overrides });
  return { app, published, lines };
}

const event = { id: 'evt_123', object: 'event', type: 'payment_intent.succeeded', data: { object: { id: 'pi_42', status: 'succeeded' } } };
const body = JSON.stringify(event);
const stripeHeaders = (payload: string, secret = STRIPE_SECRET) => ({
  'content-type': 'application/json',
  'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: 1_763_000_000 }),
});
const post = (_path: string, payload: string, headers: Record<string, string>) => ({ method: 'POST', body: payload, headers });

test('a verified webhook is published byte for byte with its attributes, then answered 202 with the message id', async () => {
  const { app, published } = harness();
  const response = await app.request('/webhooks/stripe', post('/webhooks/stripe', body, stripeHeaders(body)));
  assert.equal(response.status, 202);
  assert.deepEqual(await response.json(), { messageId: '1', deliveryId: 'evt_123' });
  assert.equal(published.length, 1);
  assert.equal(published[0]!.data.toString(), body);
  const { [TRACE_ATTRIBUTE]: traceparent, ...attributes } = published[0]!.attributes;
  assert.deepEqual(attributes, {
    source: 'stripe',
    provider: 'stripe',
    deliveryId: 'evt_123',
    eventType: 'payment_intent.succeeded',
    receivedAt: '2025-11-13T02:13:20.000Z',
    contentType: 'application/json',
  });
  // No trace header came: a new trace, not sampled.
  assert.match(traceparent!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  assert.equal(published[0]!.orderingKey, 'pi_42');
});

test('no 2xx when the publish fails: 503 with Retry-After, and the error does not leak the cause', async () => {
  const fail = new HttpError('unavailable', 'Pub/Sub refused the publish; retry later', {
    retryAfterSeconds: 5,
    cause: new Error('14 UNAVAILABLE: secret-ish detail'),
  });
  const { app, published } = harness({ fail });
  const response = await app.request('/webhooks/stripe', post('/webhooks/stripe', body, stripeHeaders(body)));
  assert.equal(response.status, 503);
  assert.equal(response.headers.get('retry-after'), '5');
  assert.deepEqual(await response.json(), { error: { code: 'unavailable', message: 'Pub/Sub refused the publish; retry later' } });
  assert.equal(published.length, 0);
});

test('a bad signature is 401 and publishes nothing; the answer never echoes the secret or the body', async () => {
  const { app, published, lines } = harness();
  const response = await app.request('/webhooks/stripe', post('/webhooks/stripe', body, stripeHeaders(body, 'whsec_wrong')));
  assert.equal(response.status, 401);
  const text = await response.text();
  assert.deepEqual(JSON.parse(text), { error: { code: 'unauthorized', message: 'signature verification failed: signature mismatch' } });
  const missing = await app.request('/webhooks/stripe', post('/webhooks/stripe', body, { 'content-type': 'application/json' }));
  assert.equal(missing.status, 401);
  assert.equal(published.length, 0);
  for (const output of [text, ...lines]) {
    assert.doesNotMatch(output, /whsec_app_test_secret|evt_123|pi_42/);
  }
});

test('unknown source 404, wrong method 405 with Allow, unknown route 404, all as JSON errors', async () => {
  const { app } = harness();
  const unknown = await app.request('/webhooks/nope', post('/webhooks/nope', '{}', {}));
  assert.equal(unknown.status, 404);
  assert.deepEqual(await unknown.json(), { error: { code: 'not_found', message: 'no source named "nope"' } });
  const put = await app.request('/webhooks/stripe', { method: 'PUT', body: '{}' });
  assert.equal(put.status, 405);
  assert.equal(put.headers.get('allow'), 'POST');
  assert.equal((await app.request('/webhooks/stripe')).status, 405);
  const elsewhere = await app.request('/admin');
  assert.equal(elsewhere.status, 404);
  assert.equal(((await elsewhere.json()) as { error: { code: string } }).error.code, 'not_found');
});

test('a body over the limit is 413: refused from Content-Length, or cut off mid-stream without reading on', async () => {
  const { app, published } = harness();
  const big = 'x'.repeat(4096);
  const declared = await app.request(
    '/webhooks/stripe',
    post('/webhooks/stripe', big, { ...stripeHeaders(big), 'content-length': '4096' }),
  );
  assert.equal(declared.status, 413);
  assert.equal(declared.headers.get('connection'), 'close');
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += 1;
      controller.enqueue(new Uint8Array(1024));
    },
  });
  const streamed = await app.request('/webhooks/stripe', {
    method: 'POST',
    body: endless,
    headers: stripeHeaders(''),
    duplex: 'half',
  } as RequestInit);
  assert.equal(streamed.status, 413);
  assert.ok(pulled <= 4, `read ${pulled} KiB of an endless body with a 2 KiB limit`);
  assert.equal(published.length, 0);
});

test('JSON required but invalid is 400 after verification; nothing is published', async () => {
  const { app, published } = harness();
  const broken = '{"id": "evt_1",';
  const response = await app.request('/webhooks/stripe', post('/webhooks/stripe', broken, stripeHeaders(broken)));
  assert.equal(response.status, 400);
  assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'invalid_json');
  const tokenBroken = await app.request('/webhooks/plain', post('/webhooks/plain', 'not json', { secret: 'tok' }));
  assert.equal(tokenBroken.status, 400);
  assert.equal(published.length, 0);
});

test("Slack's url_verification is answered by the ingress and never published", async () => {
  const { app, published } = harness();
  const payload = JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 't' });
  const { createHmac } = await import('node:crypto');
  const signature = `v0=${createHmac('sha256', 'slack-secret').update(`v0:1763000000:${payload}`).digest('hex')}`;
  const response = await app.request(
    '/webhooks/slack',
    post('/webhooks/slack', payload, {
      'content-type': 'application/json',
      'x-slack-request-timestamp': '1763000000',
      'x-slack-signature': signature,
    }),
  );
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { challenge: 'c-123' });
  assert.equal(published.length, 0);
});

test("Meta's GET handshake is answered with the challenge, and its verify token stays out of the logs", async () => {
  const { app, lines, published } = harness();
  const ok = await app.request('/webhooks/wa?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=987');
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), '987');
  const refused = await app.request('/webhooks/wa?hub.mode=subscribe&hub.verify_token=no&hub.challenge=987');
  assert.equal(refused.status, 403);
  const notHandshake = await app.request('/webhooks/wa');
  assert.equal(notHandshake.status, 400);
  assert.equal(published.length, 0);
  assert.ok(lines.length >= 3);
  for (const line of lines) assert.doesNotMatch(line, /verify_token|=vt/);
});

test('overloaded and shutting down are fast 503s with Retry-After', async () => {
  const overloaded = harness({ fail: new HttpError('overloaded', 'the ingress is at capacity; retry shortly', { retryAfterSeconds: 1 }) });
  const response = await overloaded.app.request('/webhooks/stripe', post('/webhooks/stripe', body, stripeHeaders(body)));
  assert.equal(response.status, 503);
  assert.equal(response.headers.get('retry-after'), '1');
  const closing = harness({ isShuttingDown: () => true });
  const refused = await closing.app.request('/webhooks/stripe', post('/webhooks/stripe', body, stripeHeaders(body)));
  assert.equal(refused.status, 503);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'shutting_down');
  assert.equal(closing.published.length, 0);
  assert.equal((await closing.app.request('/readyz')).status, 503);
});

test('an unexpected failure is a plain 500 whose body says nothing of the cause; the log line has it', async () => {
  const { app, lines } = harness({ fail: new TypeError('boom at internals') });
  const response = await app.request('/webhooks/stripe', post('/webhooks/stripe', body, stripeHeaders(body)));
  assert.equal(response.status, 500);
  assert.deepEqual(await response.json(), { error: { code: 'internal', message: 'internal error' } });
  const logged = lines
    .map((line) => JSON.parse(line) as { severity: string; error?: { message: string } })
    .find((entry) => entry.severity === 'ERROR');
  assert.equal(logged?.error?.message, 'boom at internals');
});

test('health answers 200; readiness follows the Pub/Sub check', async () => {
  assert.equal((await harness().app.request('/healthz')).status, 200);
  assert.equal((await harness().app.request('/readyz')).status, 200);
  assert.equal((await harness({ ready: async () => false }).app.request('/readyz')).status, 503);
  assert.equal((await harness({ ready: () => Promise.reject(new Error('x')) }).app.request('/readyz')).status, 503);
});

test('log lines carry severity, httpRequest and the trace in the shape Cloud Logging reads', async () => {
  const { app, lines, published } = harness({ projectId: 'proj', level: 'debug' });
  await app.request('/webhooks/stripe', {
    method: 'POST',
    body,
    headers: {
      ...stripeHeaders(body),
      'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=1',
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'content-length': String(Buffer.byteLength(body)),
    },
  });
  const entry = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
  assert.equal(entry.severity, 'DEBUG');
  assert.equal(entry.message, 'webhook accepted');
  assert.equal(entry['logging.googleapis.com/trace'], 'projects/proj/traces/105445aa7843bc8bf206b12000100000');
  assert.equal(entry['logging.googleapis.com/spanId'], '0000000000000001');
  assert.equal(entry['logging.googleapis.com/trace_sampled'], true);
  assert.equal(entry.httpRequest, undefined, "an accepted webhook's request is in Cloud Run's request log, same trace");
  await app.request('/webhooks/stripe', { method: 'POST', body, headers: { 'user-agent': 'x', 'content-length': String(body.length) } });
  const refused = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
  assert.equal(refused.message, 'webhook refused');
  assert.deepEqual(Object.keys(refused.httpRequest as object).sort(), [
    'latency',
    'requestMethod',
    'requestSize',
    'requestUrl',
    'status',
    'userAgent',
  ]);
  assert.equal(entry.deliveryId, 'evt_123');
  assert.equal(entry.messageId, '1');
  // The message continues that trace, its parent the span Cloud Run named.
  assert.equal(published[0]!.attributes[TRACE_ATTRIBUTE], '00-105445aa7843bc8bf206b12000100000-0000000000000001-01');
});

const webhookLines = (lines: string[]) =>
  lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.event === 'webhook');

test('every request to /webhooks/<source> writes one metric line (WebhookLine), an accepted one only at debug', async () => {
  const { app, lines } = harness({ level: 'debug' });
  const send = (path: string, payload: string, headers: Record<string, string>) => app.request(path, post(path, payload, headers));
  assert.equal((await send('/webhooks/stripe', body, stripeHeaders(body))).status, 202);
  assert.equal((await send('/webhooks/stripe', body, stripeHeaders(body, 'whsec_other'))).status, 401);
  assert.equal((await send('/webhooks/stranger-made-this-up', '{}', {})).status, 404);
  assert.equal((await send('/webhooks/a/b', '{}', {})).status, 404);
  assert.equal((await app.request('/webhooks/wa?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=1')).status, 200);
  const deferred = harness({ level: 'info', fail: new HttpError('overloaded', 'at capacity', { retryAfterSeconds: 1 }) });
  assert.equal((await deferred.app.request('/webhooks/stripe', post('', body, stripeHeaders(body)))).status, 503);
  const failed = harness({ level: 'info', fail: new HttpError('unavailable', 'Pub/Sub refused', { retryAfterSeconds: 5 }) });
  assert.equal((await failed.app.request('/webhooks/stripe', post('', body, stripeHeaders(body)))).status, 503);

  const written = [...webhookLines(lines), ...webhookLines(deferred.lines), ...webhookLines(failed.lines)];
  const parsed = written.map((entry) => WebhookLine.parse(entry));
  assert.deepEqual(
    parsed.map(({ outcome, source, code, deliveryId, messageId }) => ({ outcome, source, code, deliveryId, messageId })),
    [
      { outcome: 'accepted', source: 'stripe', code: undefined, deliveryId: 'evt_123', messageId: '1' },
      { outcome: 'refused', source: 'stripe', code: 'unauthorized', deliveryId: undefined, messageId: undefined },
      // A name no source has is never written as `source`: it would be a metric label a stranger could multiply.
      { outcome: 'refused', source: undefined, code: 'not_found', deliveryId: undefined, messageId: undefined },
      { outcome: 'refused', source: undefined, code: 'not_found', deliveryId: undefined, messageId: undefined },
      { outcome: 'handshake', source: 'wa', code: undefined, deliveryId: undefined, messageId: undefined },
      { outcome: 'deferred', source: 'stripe', code: 'overloaded', deliveryId: 'evt_123', messageId: undefined },
      { outcome: 'failed', source: 'stripe', code: 'unavailable', deliveryId: 'evt_123', messageId: undefined },
    ],
  );
  assert.deepEqual(
    written.map((entry) => entry.severity),
    ['DEBUG', 'WARNING', 'WARNING', 'WARNING', 'INFO', 'WARNING', 'ERROR'],
  );
  // At the default level an accepted webhook writes nothing: Cloud Run's request log counts it (infra/monitoring.tf).
  const quiet = harness({ level: 'info' });
  assert.equal((await quiet.app.request('/webhooks/stripe', post('', body, stripeHeaders(body)))).status, 202);
  assert.deepEqual(quiet.lines, []);
  for (const line of [...lines, ...deferred.lines, ...failed.lines]) assert.doesNotMatch(line, /"source":"stranger/);
});

test('a traceparent is continued; a forged or malformed one is never reflected, and X-Cloud-Trace-Context stands in', async () => {
  const { app, lines, published } = harness({ projectId: 'proj' });
  const send = (headers: Record<string, string>) => app.request('/webhooks/stripe', post('', body, { ...stripeHeaders(body), ...headers }));
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  await send({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
  assert.equal(published[0]!.attributes[TRACE_ATTRIBUTE], `00-${traceId}-00f067aa0ba902b7-01`);
  const forged = `00-${traceId}-00f067aa0ba902b7-01","severity":"CRITICAL`;
  await send({ traceparent: forged });
  await send({ traceparent: `00-${traceId.toUpperCase()}-00f067aa0ba902b7-01`, 'x-cloud-trace-context': `${traceId}/255;o=0` });
  const [, second, third] = published.map((message) => message.attributes[TRACE_ATTRIBUTE]!);
  assert.doesNotMatch(second!, new RegExp(traceId));
  assert.match(second!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  assert.equal(third, `00-${traceId}-00000000000000ff-00`);
  for (const line of lines) assert.doesNotMatch(line, /CRITICAL/);
  const traces = webhookLines(lines).map((entry) => entry['logging.googleapis.com/trace']);
  assert.deepEqual([traces[0], traces[2]], [`projects/proj/traces/${traceId}`, `projects/proj/traces/${traceId}`]);
});

test('with a tracer, the request has a span, child of the incoming one, whose context the message carries', async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const { app, published, lines } = harness({ projectId: 'proj', tracer: provider.getTracer('test') });
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const response = await app.request(
    '/webhooks/stripe',
    post('', body, { ...stripeHeaders(body), traceparent: `00-${traceId}-00f067aa0ba902b7-01` }),
  );
  assert.equal(response.status, 202);
  const [span] = exporter.getFinishedSpans();
  assert.equal(span?.spanContext().traceId, traceId);
  assert.equal(span?.parentSpanContext?.spanId, '00f067aa0ba902b7');
  assert.equal(span?.attributes['hookpipe.outcome'], 'accepted');
  assert.equal(span?.attributes['hookpipe.source'], 'stripe');
  const spanId = span!.spanContext().spanId;
  assert.equal(published[0]!.attributes[TRACE_ATTRIBUTE], `00-${traceId}-${spanId}-01`);
  const line = webhookLines(lines)[0]!;
  assert.equal(line['logging.googleapis.com/spanId'], spanId);
  await provider.shutdown();
});

test("a stranger's long path is clipped in the answer and the log line", async () => {
  const { app, lines } = harness({ level: 'info' });
  const name = 'x'.repeat(5000);
  const response = await app.request(`/webhooks/${name}`, post(`/webhooks/${name}`, '{}', {}));
  assert.equal(response.status, 404);
  assert.ok((await response.text()).length < 400);
  const line = lines.at(-1)!;
  assert.ok(line.length < 1200, `the line is ${line.length} characters`);
});
