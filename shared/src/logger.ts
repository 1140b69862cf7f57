// Structured logs in the shape Cloud Logging reads from stdout: `severity`, `message`, `httpRequest` and
// `logging.googleapis.com/trace`. Bodies, secrets and header objects are never passed to the logger (the tests
// check the lines); pino's redaction is not used, as it costs every line a pass over its paths.
import { type Logger, pino } from 'pino';

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
    options.destination ?? pino.destination({ sync: false }),
  );
}

/**
 * The trace field Cloud Logging uses to group a request's lines, from `traceparent` or Cloud Run's
 * `X-Cloud-Trace-Context`; undefined when no project is known or no header came.
 */
export function traceField(headers: { get(name: string): string | null }, projectId: string | undefined): Record<string, string> {
  if (!projectId) return {};
  const traceparent = headers.get('traceparent');
  let traceId = traceparent ? /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(traceparent)?.[1] : undefined;
  if (!traceId) traceId = /^([0-9a-f]{32})/i.exec(headers.get('x-cloud-trace-context') ?? '')?.[1];
  return traceId ? { 'logging.googleapis.com/trace': `projects/${projectId}/traces/${traceId}` } : {};
}
