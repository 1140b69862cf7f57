// The OpenTelemetry SDK, loaded only when HOOKPIPE_TRACING=cloud-trace (tracing.ts imports this module then): a
// tracer provider whose spans go in batches to Cloud Trace, registered as the process's global one with an
// AsyncLocalStorage context manager, so that handlers using @opentelemetry/api nest their spans under the delivery's.
//
// Sampling follows the parent: the ingress's parent is Cloud Run's request span, whose sampled flag Cloud Run decides
// and rate-limits per instance (https://cloud.google.com/run/docs/trace), and the processor's is the ingress's span.
// A stranger's `traceparent` flag therefore cannot make every request recorded; a root (no parent: off Cloud Run, or
// a message without the trace attribute) is recorded. The batch processor holds at most 2048 spans (its default
// maxQueueSize) and drops the rest, so a slow Cloud Trace costs bounded memory.

import { TraceExporter } from '@google-cloud/opentelemetry-cloud-trace-exporter';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { Tracing, TracingOptions } from './tracing.ts';

export function registerTracing(options: TracingOptions): Tracing {
  // The exporter writes to the project's Cloud Trace with the service account's credentials (roles/cloudtrace.agent,
  // infra/iam.tf).
  const exporter = options.exporter ?? new TraceExporter(options.projectId ? { projectId: options.projectId } : {});
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `hookpipe-${options.service}` }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    // An export at shutdown must fit in the shutdown's budget (HOOKPIPE_SHUTDOWN_TIMEOUT_MS, 9 s by default).
    spanProcessors: [new BatchSpanProcessor(exporter, { exportTimeoutMillis: 3000 })],
  });
  // The first registration in a process wins (two services share one process only in tests); each service's own spans
  // go through its own provider either way.
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const registered = trace.setGlobalTracerProvider(provider);
  if (!context.setGlobalContextManager(contextManager)) contextManager.disable();
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return {
    tracer: provider.getTracer(`hookpipe-${options.service}`),
    async shutdown() {
      await provider.shutdown();
      if (registered) {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}
