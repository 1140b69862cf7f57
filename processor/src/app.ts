// The processor's HTTP edge: Pub/Sub pushes to POST /pubsub/push; the answer's status is the ack (204) or the
// nack (anything else). One JSON log line per delivery.
import { Hono } from 'hono';
import { PushEnvelope } from '../../shared/src/contract.ts';
import { HttpError } from '../../shared/src/errors.ts';
import { errorHandler, notFoundHandler } from '../../shared/src/http.ts';
import type { createLimiter } from '../../shared/src/limiter.ts';
import type { Logger } from '../../shared/src/logger.ts';
import { type DeliveryDeps, type DeliveryResult, deliver, OUTCOME_STATUS } from './deliver.ts';
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
}

const SEVERITY = { processed: 'info', duplicate: 'info', ignored: 'info', retry: 'warn', 'dead-lettered': 'error' } as const;

export function logDelivery(logger: Logger, result: DeliveryResult, durationMs: number): void {
  const { outcome, ...fields } = result;
  logger[SEVERITY[outcome]]({ ...fields, outcome, durationMs: Math.round(durationMs * 10) / 10 }, `delivery ${outcome}`);
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
    const result = await deps.limiter.run(() => deliver(envelope.data, deps.delivery));
    logDelivery(deps.logger, result, performance.now() - started);
    const status = OUTCOME_STATUS[result.outcome];
    return status === 204 ? c.body(null, 204) : c.json({ outcome: result.outcome, reason: result.reason ?? result.error?.class }, status);
  });

  if (deps.admin) app.route('/admin', deps.admin);

  app.notFound(notFoundHandler('no such route'));
  app.onError(errorHandler((entry) => (entry.error ? deps.logger.error(entry, 'push failed') : deps.logger.warn(entry, 'push refused'))));
  return app;
}
