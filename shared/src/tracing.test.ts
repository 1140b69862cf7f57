// Tracing off loads no SDK or exporter at all; on, spans continue the parent they are given, follow its sampled flag,
// nest the spans started under them, and reach the exporter by the shutdown at the latest. A parent that is not sampled
// (nearly every request on Cloud Run) costs no SDK work, and the ingress registers no context manager.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { context, ROOT_CONTEXT, type Tracer, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { KeptSpans } from '../../test/support/spans.ts';
import { waitFor } from '../../test/support/wait.ts';
import { ConfigError } from './errors.ts';
import { nextSpanId } from './trace-context.ts';
import { endSpan, readTracingMode, runInSpan, SpanKind, startSpan, startTracing } from './tracing.ts';

/** The modules a fresh Node process loads for `script`, whose names say OpenTelemetry's SDK or exporter (OTLP). */
function sdkModulesLoadedBy(script: string): string[] {
  const program = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({ resolve(specifier, context, next) { const resolved = next(specifier, context); seen.push(resolved.url); return resolved; } });
    ${script}
    console.log(JSON.stringify(seen.filter((url) => /sdk-trace|otlp|context-async-hooks|tracing-sdk/.test(url))));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', program], {
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as string[];
}

test('off: neither service loads the SDK, and startTracing gives nothing; on, it is loaded then', () => {
  const off = sdkModulesLoadedBy(`
    await import('./ingress/src/main.ts');
    await import('./processor/src/main.ts');
    const { startTracing } = await import('./shared/src/tracing.ts');
    if ((await startTracing('off', { service: 'ingress', projectId: 'p' })) !== undefined) throw new Error('a tracer when off');
  `);
  assert.deepEqual(off, []);
  // On, with the real exporter (built without a network call): the pattern above does see its modules.
  const on = sdkModulesLoadedBy(`
    const { startTracing } = await import('./shared/src/tracing.ts');
    await (await startTracing('cloud-trace', { service: 'ingress', projectId: 'p' })).shutdown();
  `);
  assert.ok(on.some((url) => url.includes('tracing-sdk')));
  assert.ok(on.some((url) => url.includes('exporter-trace-otlp-grpc')));
});

test('HOOKPIPE_TRACING: off by default, cloud-trace, anything else stops the start-up naming the variable', () => {
  assert.equal(readTracingMode({}), 'off');
  assert.equal(readTracingMode({ HOOKPIPE_TRACING: 'cloud-trace' }), 'cloud-trace');
  assert.throws(
    () => readTracingMode({ HOOKPIPE_TRACING: 'jaeger' }),
    (error: unknown) => {
      return error instanceof ConfigError && /HOOKPIPE_TRACING/.test(error.message);
    },
  );
});

test('on: a span continues its parent, follows its sampled flag, nests what runs in it, and is exported by the shutdown', async () => {
  const exporter = new KeptSpans();
  const tracing = (await startTracing('cloud-trace', { service: 'processor', projectId: 'p', exporter }))!;
  try {
    const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true };
    const active = startSpan(tracing.tracer, 'deliver', SpanKind.CONSUMER, parent, { 'messaging.message.id': 'm-1' });
    assert.equal(active.trace.traceId, parent.traceId);
    assert.notEqual(active.trace.spanId, parent.spanId);
    assert.equal(active.trace.sampled, true);
    // A handler's own span, through the global API, as a handlers module would start it.
    await runInSpan(active, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      trace.getTracer('handler').startActiveSpan('charge', (span) => span.end());
    });
    endSpan(active, { 'hookpipe.outcome': 'processed' }, false);

    const unsampled = startSpan(tracing.tracer, 'deliver', SpanKind.CONSUMER, { ...parent, sampled: false }, {});
    assert.equal(unsampled.trace.sampled, false);
    assert.equal(unsampled.trace.traceId, parent.traceId);
    // Its handler's spans have it for parent, so they are not recorded either: never roots of their own.
    await runInSpan(unsampled, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      trace.getTracer('handler').startActiveSpan('charge unsampled', (span) => span.end());
    });
    endSpan(unsampled, {}, false);
    const root = startSpan(tracing.tracer, 'deliver', SpanKind.CONSUMER, undefined, {});
    assert.equal(root.trace.sampled, true, 'a root (no parent) is recorded');
    endSpan(root, {}, true);
    // A parent without a span (a fresh trace) keeps its trace id.
    const fresh = startSpan(tracing.tracer, 'ingress', SpanKind.SERVER, { traceId: parent.traceId, sampled: true }, {});
    assert.equal(fresh.trace.traceId, parent.traceId);
    endSpan(fresh, {}, false);
    assert.equal(exporter.getFinishedSpans().length, 0, 'batched, not yet exported');
  } finally {
    await tracing.shutdown();
  }
  const spans = exporter.getFinishedSpans();
  const deliver = spans.find((span) => span.name === 'deliver' && span.attributes['hookpipe.outcome'] === 'processed')!;
  const charge = spans.find((span) => span.name === 'charge')!;
  assert.equal(deliver.parentSpanContext?.spanId, '00f067aa0ba902b7');
  assert.equal(charge.parentSpanContext?.spanId, deliver.spanContext().spanId);
  assert.equal(charge.spanContext().traceId, deliver.spanContext().traceId);
  assert.equal(spans.filter((span) => span.name === 'deliver').length, 2, 'the unsampled one is not recorded');
  assert.equal(spans.filter((span) => span.name === 'charge unsampled').length, 0, "nor its handler's span");
  assert.equal(spans.find((span) => span.parentSpanContext === undefined)?.status.code, 2, 'a failure is an error status');
});

test('a parent not sampled: a span not recorded, a new id in its trace, made without the SDK', () => {
  const sdk = { startSpan: () => assert.fail('the SDK was asked for a span no one records') } as unknown as Tracer;
  const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: false };
  const active = startSpan(sdk, 'POST /webhooks/:source', SpanKind.SERVER, parent, { 'http.route': '/webhooks/:source' });
  assert.equal(active.span.isRecording(), false);
  assert.deepEqual({ traceId: active.trace.traceId, sampled: active.trace.sampled }, { traceId: parent.traceId, sampled: false });
  assert.match(active.trace.spanId!, /^[0-9a-f]{16}$/);
  assert.notEqual(active.trace.spanId, parent.spanId);
  assert.equal(trace.getSpan(active.context), active.span, 'its context carries it, for the spans started under it');
  endSpan(active, { 'hookpipe.outcome': 'accepted' }, false);
});

test('span ids: 16 hex digits, never all zero, distinct past a refill of the random pool', () => {
  const ids = Array.from({ length: 1500 }, nextSpanId);
  for (const id of ids) assert.match(id, /^(?!0{16})[0-9a-f]{16}$/);
  assert.equal(new Set(ids).size, ids.length);
});

test('on, the ingress registers nothing global: no context manager, whose AsyncLocalStorage hooks cost every promise', async () => {
  const exporter = new KeptSpans();
  const tracing = (await startTracing('cloud-trace', { service: 'ingress', projectId: 'p', exporter }))!;
  try {
    const marked = ROOT_CONTEXT.setValue(Symbol('marker'), 1);
    assert.equal(
      context.with(marked, () => context.active()),
      ROOT_CONTEXT,
      'the API has no context manager',
    );
    assert.equal(trace.getTracer('anyone').startSpan('x').isRecording(), false, 'the global tracer is the no-op one');
    // Its own spans still work, explicitly parented, and a sampled one is exported.
    const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true };
    const active = startSpan(tracing.tracer, 'POST /webhooks/:source', SpanKind.SERVER, parent, {});
    assert.equal(await runInSpan(active, async () => 'ran'), 'ran');
    endSpan(active, {}, false);
  } finally {
    await tracing.shutdown();
  }
  assert.equal(exporter.getFinishedSpans()[0]?.parentSpanContext?.spanId, '00f067aa0ba902b7');
});

test('on, a failed export is logged, not swallowed', async () => {
  const warnings: string[] = [];
  const logger = { warn: (_fields: object, message: string) => warnings.push(message) } as never;
  const failing = new KeptSpans();
  failing.export = (_spans, done) => done({ code: ExportResultCode.FAILED, error: new Error('permission denied') });
  const tracing = (await startTracing('cloud-trace', { service: 'processor', projectId: 'p', exporter: failing, logger }))!;
  try {
    // A full batch (512, the batch processor's default) is exported at once, without waiting for its 5 s timer.
    for (let i = 0; i < 512; i++) startSpan(tracing.tracer, 'deliver', SpanKind.CONSUMER, undefined, {}).span.end();
    await waitFor('the warning', () => warnings.includes('spans not exported'));
  } finally {
    await tracing.shutdown();
  }
});
