// Spans, when HOOKPIPE_TRACING asks for them: the ingress's span around a webhook request and the processor's span
// around a delivery, one trace from the provider's request to the handler's work. Off (the default), nothing here is
// called and the OpenTelemetry SDK is never loaded: only the API's no-op stands, for handlers that use it. On, the
// SDK and its exporter (tracing-sdk.ts) are imported then, and only then; a request Cloud Run did not sample, nearly
// all of them, still gets a span id and a trace context but costs the SDK nothing (startSpan).
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
import type { Logger } from './logger.ts';
import { pickSettings } from './settings.ts';
import { nextSpanId, type TraceContext } from './trace-context.ts';

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
  /** Where a failed export is said; without it, OpenTelemetry's default (its diag logger, silent unless set). */
  logger?: Pick<Logger, 'warn'> | undefined;
}

/** The service's tracing as its setting says: undefined when off, without loading the SDK. */
export async function startTracing(mode: TracingMode, options: TracingOptions): Promise<Tracing | undefined> {
  if (mode === 'off') return undefined;
  const sdk = await import('./tracing-sdk.ts');
  return await sdk.registerTracing(options);
}

/**
 * The remote parent a span continues. A context without a span (a fresh trace, an X-Cloud-Trace-Context without one)
 * gets a random parent id, which keeps the trace id: OpenTelemetry continues a trace only through a parent span.
 */
function remoteParent(parent: TraceContext | undefined): Context {
  if (!parent) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: parent.traceId,
    spanId: parent.spanId ?? nextSpanId(),
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
  // A parent that is not sampled (nearly every request on Cloud Run) makes a span the SDK would not record either
  // (tracing-sdk.ts samples by the parent): it is made here, a new id in the parent's trace, without the SDK's sampling,
  // attribute checks and remote-parent context. Spans started under it see it unsampled, so they are not recorded.
  if (parent && !parent.sampled) {
    const span = trace.wrapSpanContext({ traceId: parent.traceId, spanId: nextSpanId(), traceFlags: TraceFlags.NONE });
    return {
      span,
      context: trace.setSpan(ROOT_CONTEXT, span),
      trace: { traceId: parent.traceId, spanId: span.spanContext().spanId, sampled: false },
    };
  }
  const parentContext = remoteParent(parent);
  const span = tracer.startSpan(name, { kind, attributes }, parentContext);
  const { traceId, spanId, traceFlags } = span.spanContext();
  return {
    span,
    context: trace.setSpan(parentContext, span),
    trace: { traceId, spanId, sampled: (traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED },
  };
}

/**
 * Runs `work` with `active` as the current span, so that handlers' own spans become its children. In the ingress, which
 * registers no context manager (tracing-sdk.ts), this is a plain call: the ingress passes its span's context on
 * explicitly (the message attribute), and nothing else of its runs under the span.
 */
export const runInSpan = <T>(active: ActiveSpan, work: () => T): T => context.with(active.context, work);

/** Ends a span with what became of its work: the outcome's attributes, and an error status for a failure. */
export function endSpan(active: ActiveSpan, attributes: Record<string, unknown>, failed: boolean): void {
  // Only the strings and numbers are kept: a field the request never set (undefined) is no attribute.
  const kept: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (typeof value === 'string' || typeof value === 'number') kept[key] = value;
  active.span.setAttributes(kept);
  if (failed) active.span.setStatus({ code: SpanStatusCode.ERROR });
  active.span.end();
}

export { SpanKind };
