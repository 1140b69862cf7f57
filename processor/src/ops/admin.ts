// The admin API, under /admin on the processor: the same listing, filtering and replay as the CLI, through the same
// functions. Every API call passes one guard (admin-guard.ts: local Host, same-origin, local Origin or Referer, and
// the x-hookpipe-admin header for changes), and every change is logged with the caller Cloud Run verified.
//
// The processor also serves pushes, so the API keeps its work small and inside the request: one dead-letter scan
// at a time per instance (two more may wait), a listing stops pulling once its page is full, and a replay runs only
// if it fits in the request, else it is refused with the CLI command that does it. A job left running after the
// answer would get next to no CPU: the processor uses request-based billing (cpu_idle), under which an instance's
// CPU is throttled outside requests (https://cloud.google.com/run/docs/tips, "Background activity"); and the page's
// next request may reach another instance.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { HttpError } from '../../../shared/src/errors.ts';
import { errorResponse } from '../../../shared/src/http.ts';
import { describeIssues } from '../../../shared/src/issues.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { createLimiter } from '../limiter.ts';
import { adminRefusal, callerIdentity, type GuardOptions } from './admin-guard.ts';
import { ADMIN_PAGE } from './admin-page.ts';
import type { Ops } from './context.ts';
import { DateLike, DeadLetterFilter, replayCommand } from './dead-letter-view.ts';
import { EventQuery, findEvent, listEvents } from './events.ts';
import { seekReplay } from './seek.ts';

/** What one admin request may replay: the count, and the time it may take (the processor's request timeout is 60 s). */
export const ADMIN_REPLAY_LIMITS = { messages: 500, seconds: 30 } as const;
/** Past this, republishes not yet started are left for another run, so the answer comes before the request times out. */
const ADMIN_REPLAY_DEADLINE_MS = 40_000;
const PAGE_SIZE = 100;

const optionalInt = (max: number) => z.coerce.number().int().min(1).max(max).optional();

const ListQuery = DeadLetterFilter.extend({ limit: optionalInt(1000), showBody: z.enum(['0', '1', 'true', 'false']).optional() });

const ReplayBody = z.object({
  filter: DeadLetterFilter.default({}),
  limit: optionalInt(100_000),
  rate: z.number().positive().max(10_000).optional(),
  dryRun: z.boolean().default(false),
});

const SeekBody = z.object({ since: DateLike, force: z.boolean().default(false) });

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new HttpError('bad_request', describeIssues(result.error, '(body)').join('; '));
  }
  return result.data;
}

/** Query strings as objects, with repeated keys (deliveryId) as lists. */
function queryOf(url: string): Record<string, unknown> {
  const params = new URL(url).searchParams;
  const out: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key).filter((v) => v !== '');
    if (values.length === 0) continue;
    if (key === 'deliveryId') out.deliveryIds = values;
    else out[key] = values[0];
  }
  return out;
}

/** Refuses a replay that would not finish inside the request, naming the CLI command that does it instead. */
export function checkReplaySize(count: number, body: { filter: DeadLetterFilter; limit?: number | undefined; rate?: number | undefined }) {
  const { messages, seconds } = ADMIN_REPLAY_LIMITS;
  if (count <= messages && (body.rate ? count / body.rate : 0) <= seconds) return;
  const why = count > messages ? `more than the ${messages}` : `more than ${seconds} s at ${body.rate}/s for the`;
  throw new HttpError(
    'bad_request',
    `this replay matches ${count} dead letters, ${why} the admin page replays in one request; ` +
      `run it from your machine: ${replayCommand(body.filter, body)}`,
  );
}

export function createAdminApp(ops: Ops, logger: Logger): Hono {
  const app = new Hono();
  const guard: GuardOptions = { onCloudRun: ops.config.K_SERVICE !== undefined };
  // Scans of one subscription at once would hide messages from each other, and each holds memory.
  const scans = createLimiter(1);
  const oneScanAtATime = <T>(task: () => Promise<T>): Promise<T> => {
    const { active, waiting } = scans.stats();
    if (active + waiting >= 3) {
      const message = 'other dead-letter operations are running on this instance; retry shortly';
      throw new HttpError('overloaded', message, { retryAfterSeconds: 5 });
    }
    return scans.run(task);
  };
  const caller = (c: Context) => callerIdentity({ header: (name) => c.req.header(name) }, guard);

  app.use('/api/*', async (c, next) => {
    const refusal = adminRefusal({ method: c.req.method, header: (name) => c.req.header(name) }, guard);
    if (refusal) {
      logger.warn({ method: c.req.method, path: c.req.path, reason: refusal }, 'admin call refused');
      throw new HttpError('forbidden', refusal);
    }
    await next();
  });

  app.get('/', (c) => c.html(ADMIN_PAGE));

  app.get('/api/dead-letters', async (c) => {
    const { limit, showBody, ...filter } = parse(ListQuery, queryOf(c.req.url));
    const page = await oneScanAtATime(() =>
      ops.deadLetters.list(filter, { limit: limit ?? PAGE_SIZE, showBody: showBody === '1' || showBody === 'true', stopWhenFull: true }),
    );
    return c.json(page);
  });

  app.post('/api/dead-letters/replay', async (c) => {
    const body = parse(ReplayBody, await c.req.json().catch(() => ({})));
    const summary = await oneScanAtATime(() =>
      ops.deadLetters.replay({
        filter: body.filter,
        limit: body.limit,
        rate: body.rate,
        dryRun: body.dryRun,
        maxReplays: ops.config.HOOKPIPE_MAX_REPLAYS,
        // Counted first: too many for one request, and nothing is replayed.
        confirm: body.dryRun ? undefined : async (count) => (checkReplaySize(count, body), true),
        signal: AbortSignal.timeout(ADMIN_REPLAY_DEADLINE_MS),
      }),
    );
    if (!body.dryRun) {
      const { failures, refused, ...counts } = summary;
      const fields = { caller: caller(c), filter: body.filter, ...counts, refused: refused.length, failures };
      logger.info(fields, 'dead letters replayed from the admin API');
    }
    return c.json(summary);
  });

  app.get('/api/events', async (c) => {
    const query = parse(EventQuery, queryOf(c.req.url));
    return c.json({ items: await listEvents(ops.firestore, ops.config.HOOKPIPE_LEDGER_COLLECTION, query) });
  });

  app.get('/api/events/:deliveryId', async (c) => {
    const items = await findEvent(ops.firestore, ops.config.HOOKPIPE_LEDGER_COLLECTION, c.req.param('deliveryId'));
    if (items.length === 0) throw new HttpError('not_found', 'no event with this delivery id in the ledger');
    return c.json({ items });
  });

  app.post('/api/replay-since', async (c) => {
    const body = parse(SeekBody, await c.req.json().catch(() => ({})));
    const who = caller(c);
    const result = await seekReplay({
      pubsub: ops.pubsub,
      firestore: ops.firestore,
      subscription: ops.config.HOOKPIPE_PUSH_SUBSCRIPTION,
      since: body.since,
      force: body.force,
      requestedBy: who,
    });
    const fields = { caller: who, since: result.since, force: body.force, window: result.window };
    logger.info(fields, 'subscription sought back from the admin API');
    return c.json(result);
  });

  app.onError((error) => {
    if (error instanceof HttpError) return errorResponse(error);
    logger.error({ error: { name: error.name, message: error.message } }, 'admin call failed');
    return errorResponse(new HttpError('unavailable', `the operation failed: ${error.message}`, { retryAfterSeconds: 5 }));
  });
  return app;
}
