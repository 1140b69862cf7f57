// A model of CLOUD RUN'S FRONT END, for the end-to-end tests: a tiny HTTP proxy put in front of the ingress that
// forwards each request and records the request-log entry Cloud Run would write for it. In production nothing in
// hookpipe writes those entries: Cloud Run's front end does, one per request to a service, "automatically"
// (https://cloud.google.com/run/docs/logging), in the log run.googleapis.com%2Frequests on the resource
// cloud_run_revision; the accepted-webhook metric (infra/monitoring.tf, hookpipe/webhooks_accepted) counts them.
// Locally nothing does, so this writes them from the exchanges it sees. What it models, and from where:
// - The entry: a LogEntry (https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry) with httpRequest
//   (https://cloud.google.com/logging/docs/reference/v2/rpc/google.logging.type#httprequest): requestMethod, requestUrl
//   as "the scheme (http, https), the host name, the path and the query portion of the URL" (the service's public
//   https URL here), status, latency as a Duration string ("1.5s"), sizes, userAgent, remoteIp, protocol; and trace
//   (projects/<p>/traces/<id>), spanId and traceSampled, the fields the container's lines are grouped with
//   (https://cloud.google.com/run/docs/samples/cloudrun-manual-logging). Severity by status (INFO, WARNING for a 4xx,
//   ERROR for a 5xx) is how the console shows them, not a documented contract: no metric reads it.
// - The trace: Cloud Run populates the W3C traceparent of every request it forwards
//   (https://cloud.google.com/run/docs/trace), keeping the trace id of a traceparent the caller sent and naming its
//   own span as the parent (observed, see shared/src/trace-context.ts); the older X-Cloud-Trace-Context is read where
//   no valid traceparent came (https://cloud.google.com/trace/docs/trace-context); with neither, or a malformed one,
//   it starts a trace. The container gets both headers of that trace, and the request log names the same trace. The
//   rules are written here on their own, not taken from shared/src/trace-context.ts: this is Google's side, and the
//   tests compare what the ingress makes of it.
// Not modelled: Cloud Run's own answers (429, 503 with no instance), which the ingress never sees; the sampling rate.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogEntry } from './logging-query.ts';

/** The log Cloud Run's request-log entries are written to. */
export const requestLogName = (projectId: string): string => `projects/${projectId}/logs/run.googleapis.com%2Frequests`;

/**
 * Every field of a Cloud Run request-log entry (LogEntry and HttpRequest, links above): a metric counted from the
 * request log may read only these (infra/monitoring.test.ts). No jsonPayload: the front end knows nothing of the app.
 */
export const REQUEST_LOG_FIELDS = [
  'logName',
  'resource.type',
  ...['project_id', 'service_name', 'revision_name', 'configuration_name', 'location'].map((label) => `resource.labels.${label}`),
  'timestamp',
  'receiveTimestamp',
  'severity',
  'insertId',
  'labels.instanceId',
  'trace',
  'spanId',
  'traceSampled',
  ...[
    'requestMethod',
    'requestUrl',
    'requestSize',
    'status',
    'responseSize',
    'userAgent',
    'remoteIp',
    'serverIp',
    'referer',
    'latency',
    'protocol',
  ].map((field) => `httpRequest.${field}`),
] as const;

export interface FrontEndTrace {
  traceId: string;
  /** The front end's own span for the request: the parent of whatever the container starts. */
  spanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const CLOUD_TRACE = /^([0-9a-fA-F]{32})(?:\/\d+)?(?:;o=(\d))?$/;
const ZERO = /^0+$/;
const one = (value: string | string[] | undefined) => (Array.isArray(value) ? undefined : value);

/** The trace the front end gives a request: the caller's, if it sent a well-formed one, else a new one. */
export function frontEndTrace(headers: IncomingHttpHeaders, newId = (bytes: number) => randomBytes(bytes).toString('hex')): FrontEndTrace {
  const spanId = newId(8);
  const parent = TRACEPARENT.exec(one(headers.traceparent) ?? '');
  if (parent && !ZERO.test(parent[1]!) && !ZERO.test(parent[2]!)) {
    return { traceId: parent[1]!, spanId, sampled: (Number.parseInt(parent[3]!, 16) & 1) === 1 };
  }
  const legacy = CLOUD_TRACE.exec(one(headers['x-cloud-trace-context']) ?? '');
  if (legacy && !ZERO.test(legacy[1]!)) return { traceId: legacy[1]!.toLowerCase(), spanId, sampled: legacy[2] === '1' };
  return { traceId: newId(16), spanId, sampled: false };
}

/** The two trace headers the container gets, both naming the front end's span. */
export const forwardedTraceHeaders = (trace: FrontEndTrace): Record<string, string> => ({
  traceparent: `00-${trace.traceId}-${trace.spanId}-${trace.sampled ? '01' : '00'}`,
  'x-cloud-trace-context': `${trace.traceId}/${BigInt(`0x${trace.spanId}`).toString(10)};o=${trace.sampled ? 1 : 0}`,
});

export interface Exchange {
  method: string;
  /** Path and query, as the client sent them. */
  path: string;
  status: number;
  seconds: number;
  requestBytes: number;
  responseBytes: number;
  userAgent?: string | undefined;
  remoteIp?: string | undefined;
  at: Date;
  trace: FrontEndTrace;
}

export interface ServiceIdentity {
  projectId: string;
  service: string;
  /** The service's public origin, e.g. https://hookpipe-ingress-abc123-ew.a.run.app. */
  origin: string;
  region?: string;
}

/** The request-log entry Cloud Run writes for one exchange. */
export function requestLogEntry(exchange: Exchange, identity: ServiceIdentity): LogEntry {
  const { projectId, service } = identity;
  const severity = exchange.status >= 500 ? 'ERROR' : exchange.status >= 400 ? 'WARNING' : 'INFO';
  return {
    logName: requestLogName(projectId),
    resource: {
      type: 'cloud_run_revision',
      labels: {
        project_id: projectId,
        service_name: service,
        revision_name: `${service}-00001-abc`,
        configuration_name: service,
        location: identity.region ?? 'europe-west1',
      },
    },
    timestamp: exchange.at.toISOString(),
    severity,
    trace: `projects/${projectId}/traces/${exchange.trace.traceId}`,
    spanId: exchange.trace.spanId,
    traceSampled: exchange.trace.sampled,
    httpRequest: {
      requestMethod: exchange.method,
      requestUrl: `${identity.origin}${exchange.path}`,
      requestSize: String(exchange.requestBytes),
      status: exchange.status,
      responseSize: String(exchange.responseBytes),
      ...(exchange.userAgent ? { userAgent: exchange.userAgent } : {}),
      ...(exchange.remoteIp ? { remoteIp: exchange.remoteIp } : {}),
      latency: `${exchange.seconds.toFixed(6)}s`,
      protocol: 'HTTP/1.1',
    },
  };
}

export interface FrontEnd {
  port: number;
  /** One request-log entry per exchange, in the order they ended. */
  readonly entries: LogEntry[];
  close(): Promise<void>;
}

/** Headers a proxy does not pass on, or that fetch sets itself. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host', 'content-length']);

/**
 * Starts the front end on a free port, forwarding to the service on `targetPort` (127.0.0.1). A request's body is
 * read whole before it is forwarded: an answer the service gives before reading it all (a 413) then reaches the
 * client as it was given, rather than racing a half-written upload.
 */
export async function startFrontEnd(targetPort: number, identity: ServiceIdentity): Promise<FrontEnd> {
  const entries: LogEntry[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    // A client that hangs up mid-request ends its exchange: nothing is answered, and Cloud Run would log no status.
    forward(incoming, outgoing).catch((error: Error) => outgoing.destroy(error));
  });
  async function forward(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const started = performance.now();
    const trace = frontEndTrace(incoming.headers);
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (const [name, value] of Object.entries({ ...incoming.headers, ...forwardedTraceHeaders(trace) })) {
      if (value !== undefined && !NOT_FORWARDED.has(name)) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const method = incoming.method ?? 'GET';
    let status: number;
    let answer: Buffer;
    try {
      const response = await fetch(`http://127.0.0.1:${targetPort}${incoming.url ?? '/'}`, {
        method,
        headers,
        ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
        redirect: 'manual',
      });
      answer = Buffer.from(await response.arrayBuffer());
      status = response.status;
      const answerHeaders: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (!NOT_FORWARDED.has(name) && name !== 'content-encoding') answerHeaders[name] = value;
      });
      outgoing.writeHead(status, { ...answerHeaders, 'content-length': String(answer.length) });
    } catch (error) {
      // The service went away mid-request: Cloud Run answers for it, and logs that answer.
      status = 503;
      answer = Buffer.from(`upstream failed: ${(error as Error).message}`);
      outgoing.writeHead(status, { 'content-type': 'text/plain', 'content-length': String(answer.length) });
    }
    // Recorded before the answer ends, so a client that has its answer finds the entry already written.
    entries.push(
      requestLogEntry(
        {
          method,
          path: incoming.url ?? '/',
          status,
          seconds: (performance.now() - started) / 1000,
          requestBytes: body.length,
          responseBytes: answer.length,
          userAgent: one(incoming.headers['user-agent']),
          remoteIp: incoming.socket.remoteAddress,
          at: new Date(),
          trace,
        },
        identity,
      ),
    );
    outgoing.end(answer);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    entries,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A plausible public origin of a Cloud Run service (its run.app URL). */
export const runAppOrigin = (service: string): string => `https://${service}-abc123-ew.a.run.app`;
