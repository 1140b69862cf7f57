// Structured logs in the shape Cloud Logging reads from stdout: `severity`, `message`, `httpRequest` and the trace
// fields (`logging.googleapis.com/trace`, `/spanId`, `/trace_sampled`). Bodies, secrets and header objects are never
// passed to the logger (the tests check the lines); pino's redaction is not used, as it costs every line a pass over
// its paths.
import { type Logger, pino } from 'pino';
import type { TraceContext } from './trace-context.ts';

export type { Logger };

const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export function createLogger(options: { service: string; level?: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      base: { service: options.service },
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      },
    },
    // Synchronous writes, one write(2) per line: pino's asynchronous destination cost about 3 µs more per line here
    // (a worker-pool round trip per write; the ingress writes a line per webhook), and it buffers without bound in
    // memory when stdout is slow, where a synchronous write waits on the pipe instead.
    options.destination ?? pino.destination({ sync: true }),
  );
}

/** The trace fields of a log line, as Cloud Logging reads them from a JSON line on stdout. */
export interface TraceLogFields {
  'logging.googleapis.com/trace'?: string;
  'logging.googleapis.com/spanId'?: string;
  'logging.googleapis.com/trace_sampled'?: boolean;
}

/**
 * The fields that put a line in its trace (https://cloud.google.com/logging/docs/structured-logging, "Special JSON
 * fields in messages"): the trace as `projects/<project>/traces/<id>`, the span when the line belongs to one, and
 * whether the trace was sampled. Cloud Logging shows lines with one trace together, the ingress's and the
 * processor's alike. None without a project, which the trace's name needs.
 */
export function traceLogFields(projectId: string | undefined, trace: TraceContext | undefined): TraceLogFields {
  if (!projectId || !trace) return {};
  const fields: TraceLogFields = { 'logging.googleapis.com/trace': `projects/${projectId}/traces/${trace.traceId}` };
  if (trace.spanId) fields['logging.googleapis.com/spanId'] = trace.spanId;
  fields['logging.googleapis.com/trace_sampled'] = trace.sampled;
  return fields;
}
