// Spans, when HOOKPIPE_TRACING asks for them: the ingress's span around a webhook request and the processor's span
// around a delivery, one trace from the provider's request to the handler's work. Off (the default), nothing here is
// called and the OpenTelemetry SDK is never loaded: only the API's no-op stands, for handlers that use it. On, the
// SDK (tracing-sdk.ts) is imported then, and only then.
import {
  type Attributes,
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { readConfig } from './config.ts';
import { pickSettings } from './settings.ts';
import { randomSpanId, type TraceContext } from './trace-context.ts';

const schema = z.object(pickSettings('HOOKPIPE_TRACING'));
export type TracingMode = z.output<typeof schema>['HOOKPIPE_TRACING'];

/** HOOKPIPE_TRACING, read once at start-up by both services (a wrong value stops them, naming the variable). */
export const readTracingMode = (env: NodeJS.ProcessEnv): TracingMode => readConfig(schema, env).HOOKPIPE_TRACING;

/** A service's tracer, and the shutdown that exports what its batch still holds. */
export interface Tracing {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  service: 'ingress' | 'processor';
  projectId: string | undefined;
  /** Tests export to memory; otherwise Cloud Trace. */
  exporter?: SpanExporter | undefined;
}

/** The service's tracing as its setting says: undefined when off, without loading the SDK. */
export async function startTracing(mode: TracingMode, options: TracingOptions): Promise<Tracing | undefined> {
  if (mode === 'off') return undefined;
  const sdk = await import('./tracing-sdk.ts');
  return sdk.registerTracing(options);
}

/**
 * The remote parent a span continues. A context without a span (a fresh trace, an X-Cloud-Trace-Context without one)
 * gets a random parent id, which keeps the trace id: OpenTelemetry continues a trace only through a parent span.
 */
function remoteParent(parent: TraceContext | undefined): Context {
  if (!parent) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: parent.traceId,
    spanId: parent.spanId ?? randomSpanId(),
    traceFlags: parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });
}

/** A span under way, the context to run its work in (so spans started there nest under it), and its trace context. */
export interface ActiveSpan {
  span: Span;
  context: Context;
  trace: TraceContext;
}

/**
 * Starts a span, child of `parent`; whether it is recorded follows the parent's sampled flag (tracing-sdk.ts). An
 * unsampled span still has its own id, which the message attribute and the log lines carry.
 */
export function startSpan(
  tracer: Tracer,
  name: string,
  kind: SpanKind,
  parent: TraceContext | undefined,
  attributes: Attributes,
): ActiveSpan {
  const parentContext = remoteParent(parent);
  const span = tracer.startSpan(name, { kind, attributes }, parentContext);
  const { traceId, spanId, traceFlags } = span.spanContext();
  return {
    span,
    context: trace.setSpan(parentContext, span),
    trace: { traceId, spanId, sampled: (traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED },
  };
}

/** Runs `work` with `active` as the current span (handlers' own spans become its children). */
export const runInSpan = <T>(active: ActiveSpan, work: () => T): T => context.with(active.context, work);

/** Ends a span with what became of its work: the outcome's attributes, and an error status for a failure. */
export function endSpan(active: ActiveSpan, attributes: Attributes, failed: boolean): void {
  active.span.setAttributes(attributes);
  if (failed) active.span.setStatus({ code: SpanStatusCode.ERROR });
  active.span.end();
}

export { SpanKind };
