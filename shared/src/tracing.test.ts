// Tracing off loads no SDK at all; on, spans continue the parent they are given, follow its sampled flag, nest the
// spans started under them, and reach the exporter by the shutdown at the latest.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { KeptSpans } from '../../test/support/spans.ts';
import { ConfigError } from './errors.ts';
import { endSpan, readTracingMode, runInSpan, SpanKind, startSpan, startTracing } from './tracing.ts';

/** The modules a fresh Node process loads for `script`, whose names say OpenTelemetry's SDK or exporter. */
function sdkModulesLoadedBy(script: string): string[] {
  const program = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({ resolve(specifier, context, next) { const resolved = next(specifier, context); seen.push(resolved.url); return resolved; } });
    ${script}
    console.log(JSON.stringify(seen.filter((url) => /sdk-trace|cloud-trace-exporter|context-async-hooks|tracing-sdk/.test(url))));
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
  const on = sdkModulesLoadedBy(`
    const { startTracing } = await import('./shared/src/tracing.ts');
    const { InMemorySpanExporter } = await import('@opentelemetry/sdk-trace-base');
    await (await startTracing('cloud-trace', { service: 'ingress', projectId: 'p', exporter: new InMemorySpanExporter() })).shutdown();
  `);
  assert.ok(on.some((url) => url.includes('tracing-sdk')));
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
  assert.equal(spans.find((span) => span.parentSpanContext === undefined)?.status.code, 2, 'a failure is an error status');
});
