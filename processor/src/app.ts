// The processor's HTTP edge: Pub/Sub pushes to POST /pubsub/push; the answer's status is the ack (204) or the
// nack (anything else). One JSON log line per delivery, in the webhook's trace: that line, deliver.ts's own and the
// handler's carry the trace the message's attribute names (with tracing on, the delivery's span, its child).
import type { Tracer } from '@opentelemetry/api';
import { Hono } from 'hono';
import { PushEnvelope, parseTraceAttribute } from '../../shared/src/contract.ts';
import { HttpError } from '../../shared/src/errors.ts';
import { errorHandler, notFoundHandler } from '../../shared/src/http.ts';
import type { createLimiter } from '../../shared/src/limiter.ts';
import { type Logger, traceLogFields } from '../../shared/src/logger.ts';
import type { DeliveryLine } from '../../shared/src/metric-lines.ts';
import type { TraceContext } from '../../shared/src/trace-context.ts';
import { endSpan, runInSpan, SpanKind, startSpan } from '../../shared/src/tracing.ts';
import { type DeliveryDeps, type DeliveryResult, deliver, OUTCOME_STATUS } from './deliver.ts';
import { latencyOf, measuredFrom } from './ledger.ts';
import type { PushVerifier } from './push-auth.ts';

export interface ProcessorDeps {
  delivery: DeliveryDeps;
  logger: Logger;
  limiter: ReturnType<typeof createLimiter>;
  /** Undefined only when push authentication is explicitly off (the emulator sends no token). */
  verifyPush: PushVerifier | undefined;
  /** Whether the ledger answers; never rejects (main.ts: a cached probe that logs why it failed). */
  ready: () => Promise<boolean>;
  isShuttingDown?: () => boolean;
  /** The admin API and page, mounted under /admin. */
  admin?: Hono | undefined;
  /** The project, which the log lines' trace field names. */
  projectId?: string | undefined;
  /** HOOKPIPE_TRACING=cloud-trace: a span per delivery. Without it, no span, and no tracing code runs. */
  tracer?: Tracer | undefined;
  /** Now, in ms since the epoch: for the latency from the ingress's receipt. */
  clock?: () => number;
}

const SEVERITY = { processed: 'info', duplicate: 'info', ignored: 'info', retry: 'warn', 'dead-lettered': 'error' } as const;

/** Milliseconds from the ingress's receipt, or a redrive's time (ledger.ts measuredFrom), to now; none when neither parses. */
export function deliveryLatencyMs(attributes: Record<string, string>, now: number): number | undefined {
  const from = measuredFrom(attributes);
  return from === undefined ? undefined : latencyOf(from, new Date(now));
}

/** The delivery's line (shared/src/metric-lines.ts's DeliveryLine, which the metrics count), with the details. */
export function logDelivery(logger: Logger, result: DeliveryResult, durationMs: number, latencyMs?: number): void {
  const { outcome, ...fields } = result;
  const line: DeliveryLine = { event: 'delivery', outcome, messageId: result.messageId };
  if (latencyMs !== undefined) line.latencyMs = latencyMs;
  logger[SEVERITY[outcome]]({ ...line, ...fields, durationMs: Math.round(durationMs * 10) / 10 }, `delivery ${outcome}`);
}

export function createProcessorApp(deps: ProcessorDeps): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    await next();
    // While shutting down, keep-alive clients (Pub/Sub's push) are told to go, so the server can close.
    if (deps.isShuttingDown?.()) c.res.headers.set('connection', 'close');
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const ready = !deps.isShuttingDown?.() && (await deps.ready());
    return c.json({ status: ready ? 'ready' : 'unavailable' }, ready ? 200 : 503);
  });

  app.post('/pubsub/push', async (c) => {
    if (deps.verifyPush) await deps.verifyPush((name) => c.req.header(name));
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new HttpError('bad_request', 'the push body is not JSON');
    }
    const envelope = PushEnvelope.safeParse(body);
    if (!envelope.success) throw new HttpError('bad_request', 'the push body is not a Pub/Sub push envelope');
    const started = performance.now();
    const { message } = envelope.data;
    const parent = parseTraceAttribute(message.attributes);
    const active = deps.tracer
      ? startSpan(deps.tracer, 'deliver', SpanKind.CONSUMER, parent, {
          'messaging.system': 'gcp_pubsub',
          'messaging.operation.type': 'process',
          'messaging.message.id': message.messageId,
        })
      : undefined;
    // Tracing off, the lines join the message's trace without a span of their own (the ingress's is not theirs).
    const trace: TraceContext | undefined = active?.trace ?? (parent && { traceId: parent.traceId, sampled: parent.sampled });
    const traceFields = traceLogFields(deps.projectId, trace);
    // deliver.ts logs through the logger it is given, and hands the handler a child of it: both carry the trace.
    const logger = 'logging.googleapis.com/trace' in traceFields ? deps.logger.child(traceFields) : deps.logger;
    const delivery = logger === deps.logger ? deps.delivery : { ...deps.delivery, logger };
    const run = () => deliver(envelope.data, delivery);
    let result: DeliveryResult;
    try {
      // The span is made current inside the limiter's slot: a queued delivery runs in whatever context freed the slot.
      result = await deps.limiter.run(active ? () => runInSpan(active, run) : run);
    } catch (error) {
      if (active) endSpan(active, {}, true);
      throw error;
    }
    logDelivery(logger, result, performance.now() - started, deliveryLatencyMs(message.attributes, (deps.clock ?? Date.now)()));
    if (active) {
      const attributes = {
        'hookpipe.outcome': result.outcome,
        'hookpipe.source': result.source,
        'hookpipe.delivery_id': result.deliveryId,
        'hookpipe.handler': result.handler,
        'messaging.gcp_pubsub.message.delivery_attempt': result.attempt,
      };
      endSpan(active, attributes, result.outcome === 'retry' || result.outcome === 'dead-lettered');
    }
    const status = OUTCOME_STATUS[result.outcome];
    return status === 204 ? c.body(null, 204) : c.json({ outcome: result.outcome, reason: result.reason ?? result.error?.class }, status);
  });

  if (deps.admin) app.route('/admin', deps.admin);

  app.notFound(notFoundHandler('no such route'));
  app.onError(errorHandler((entry) => (entry.error ? deps.logger.error(entry, 'push failed') : deps.logger.warn(entry, 'push refused'))));
  return app;
}
