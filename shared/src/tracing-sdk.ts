// The OpenTelemetry SDK, loaded only when HOOKPIPE_TRACING=cloud-trace (tracing.ts imports this module then): spans go
// in batches to Cloud Trace through its Telemetry (OTLP) API, with OpenTelemetry's own OTLP gRPC exporter. In the
// processor the provider is also the global one (the one handlers reach through @opentelemetry/api), so that their
// spans nest under the delivery's; the ingress registers nothing global.
//
// Sampling follows the parent: the ingress's parent is Cloud Run's request span, whose sampled flag Cloud Run decides
// and rate-limits per instance (https://cloud.google.com/run/docs/trace), and the processor's is the ingress's span.
// A stranger's `traceparent` flag therefore cannot make every request recorded. A span without a parent (off Cloud
// Run, or a message without the trace attribute) is recorded. Handlers run in their delivery's span's context, even an
// unsampled one (tracing.ts), so their spans are recorded exactly when the delivery's is and never become roots.
// The batch processor holds at most 2048 spans (its default maxQueueSize) and drops the rest, so a slow Cloud Trace
// costs bounded memory.
import { CallCredentials, type ChannelCredentials, credentials, Metadata } from '@grpc/grpc-js';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { loggingErrorHandler, setGlobalErrorHandler, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { GoogleAuth } from 'google-auth-library';
import { ConfigError, describeError } from './errors.ts';
import type { Tracing, TracingOptions } from './tracing.ts';

/**
 * Cloud Trace's Telemetry (OTLP) API, over gRPC on 443 (the exporter takes only the host:
 * https://docs.cloud.google.com/stackdriver/docs/reference/telemetry/overview). Google recommends gRPC for an SDK's
 * direct export, as its call credentials refresh the token per call (https://docs.cloud.google.com/stackdriver/docs/otlp/overview).
 */
export const TELEMETRY_API = 'https://telemetry.googleapis.com';
/** The narrowest scope the Telemetry API's traces accept (https://cloud.google.com/stackdriver/docs/reference/telemetry/api). */
const TRACE_SCOPE = 'https://www.googleapis.com/auth/trace.append';
const QUOTA_PROJECT_HEADER = 'x-goog-user-project';

/** What the call credentials need of google-auth-library's GoogleAuth (tests give a stand-in). */
export interface RequestHeaderSource {
  getRequestHeaders(url?: string): Promise<Headers>;
}

/**
 * Per-call credentials from Application Default Credentials: the service account's token on Cloud Run, refreshed by
 * google-auth-library before it expires. grpc-js copies a Google credential's headers with Object.keys, which sees
 * nothing in the `Headers` object google-auth-library returns since its version 10: they are copied into a plain object
 * here. A quota project from the credentials file is left out: the exporter's metadata names the project once.
 */
export function googleCallCredentials(auth: RequestHeaderSource): CallCredentials {
  return CallCredentials.createFromGoogleCredential({
    async getRequestHeaders(url?: string) {
      const headers: Record<string, string> = {};
      (await auth.getRequestHeaders(url)).forEach((value, name) => {
        if (name !== QUOTA_PROJECT_HEADER) headers[name] = value;
      });
      return headers;
    },
  });
}

/**
 * The exporter's settings: TLS with the credentials above, and the project in `x-goog-user-project`, which the Telemetry
 * API needs to know whose project the spans (and the quota) are, as Google's Node.js example sets it
 * (https://docs.cloud.google.com/trace/docs/migrate-to-otlp-endpoints).
 */
export function telemetryExporterConfig(
  projectId: string,
  auth: RequestHeaderSource,
): {
  url: string;
  credentials: ChannelCredentials;
  metadata: Metadata;
  timeoutMillis: number;
} {
  const metadata = new Metadata();
  metadata.set(QUOTA_PROJECT_HEADER, projectId);
  return {
    url: TELEMETRY_API,
    credentials: credentials.combineChannelCredentials(credentials.createSsl(), googleCallCredentials(auth)),
    metadata,
    // Within the batch processor's export timeout below, so a stalled call ends before the batch gives up on it.
    timeoutMillis: 2500,
  };
}

/** The project the spans go to: the configured one, else the one Application Default Credentials find (Cloud Run's). */
async function projectOf(options: TracingOptions, auth: GoogleAuth): Promise<string> {
  if (options.projectId) return options.projectId;
  try {
    return await auth.getProjectId();
  } catch (error) {
    throw new ConfigError(`GOOGLE_CLOUD_PROJECT: HOOKPIPE_TRACING=cloud-trace needs the project (${describeError(error).message})`);
  }
}

async function exporterFor(options: TracingOptions): Promise<SpanExporter> {
  if (options.exporter) return options.exporter;
  const auth = new GoogleAuth({ scopes: TRACE_SCOPE });
  return new OTLPTraceExporter(telemetryExporterConfig(await projectOf(options, auth), auth));
}

export async function registerTracing(options: TracingOptions): Promise<Tracing> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `hookpipe-${options.service}` }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    // An export at shutdown must fit in the shutdown's budget (HOOKPIPE_SHUTDOWN_TIMEOUT_MS, 9 s by default).
    spanProcessors: [new BatchSpanProcessor(await exporterFor(options), { exportTimeoutMillis: 3000 })],
  });
  // Only the processor runs code of others under its spans: handlers, which reach the tracer, the current span and the
  // propagator through @opentelemetry/api. The ingress's span goes to the message explicitly (tracing.ts), so the
  // ingress registers nothing global, and above all no AsyncLocalStorage: on Node 22 its hooks run for every promise
  // the process makes, traced or not (about 0.1 µs each), which was most of what tracing cost the ingress per request
  // (bench/tracing-cost.ts).
  const registered = options.service === 'processor' && registerGlobally(provider);
  // A failed export is said, not swallowed: OpenTelemetry's default handler writes to its diag logger, silent unless set.
  const { logger } = options;
  if (logger) setGlobalErrorHandler((error) => logger.warn({ error: describeError(error) }, 'spans not exported'));
  return {
    tracer: provider.getTracer(`hookpipe-${options.service}`),
    async shutdown() {
      await provider.shutdown();
      if (logger) setGlobalErrorHandler(loggingErrorHandler());
      if (registered) {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}

/**
 * The provider as the process's global one, with an AsyncLocalStorage context manager (so that handlers' spans nest
 * under the delivery's) and the W3C propagator. The first registration in a process wins (two services share one
 * process only in tests); false when another was there first.
 */
function registerGlobally(provider: BasicTracerProvider): boolean {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const registered = trace.setGlobalTracerProvider(provider);
  if (!context.setGlobalContextManager(contextManager)) contextManager.disable();
  if (registered) propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return registered;
}
