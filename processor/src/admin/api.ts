// The admin API, under /admin on the processor: the same listing, filtering, redrive and seek as the CLI, through
// the same operations (ops/src) and the same request schemas (ops/src/requests.ts). Every API call passes one guard
// (guard.ts: local Host, same-origin, local Origin or Referer, and the x-hookpipe-admin header for changes), every
// change is logged with the caller Cloud Run verified, and errors take the services' one path (shared/src/http.ts):
// a failure inside an operation is answered 500 without its message, which is logged.
//
// The processor also serves pushes, so the API keeps its work small and inside the request: one dead-letter scan
// at a time per instance (two more may wait), a listing stops pulling once its page is full, a redrive runs only
// if it fits in the request, else it is refused with the CLI command that does it, and the stats are counted one
// computation at a time (none waits) within a deadline, past which the answer says to narrow the window. A job left running after the
// answer would get next to no CPU: the processor uses request-based billing (cpu_idle), under which an instance's
// CPU is throttled outside requests (https://cloud.google.com/run/docs/tips, "Background activity"); and the page's
// next request may reach another instance.
//
// Routes say what they do: `dead-letters/redrive` republishes dead letters, `seek` moves the push subscription back.
// Their first names, `dead-letters/replay` and `replay-since`, still answer.
import { type Context, type Handler, Hono } from 'hono';
import type { z } from 'zod';
import type { Ops } from '../../../ops/src/context.ts';
import { type DeadLetterFilter, redriveCommand } from '../../../ops/src/dead-letter-view.ts';
import { EventQuery, findEvent, listEvents } from '../../../ops/src/events.ts';
import { ListDeadLettersRequest, RedriveRequest, SeekRequest } from '../../../ops/src/requests.ts';
import { seekSubscription } from '../../../ops/src/seek.ts';
import { computeStats, STATS_DEADLINE_MS, StatsQuery } from '../../../ops/src/stats.ts';
import { HttpError } from '../../../shared/src/errors.ts';
import { errorHandler } from '../../../shared/src/http.ts';
import { describeIssues } from '../../../shared/src/issues.ts';
import { createLimiter } from '../../../shared/src/limiter.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { type AdminAssets, loadAdminAssets, serveAdminAssets } from './assets.ts';
import { adminRefusal, callerIdentity, type GuardOptions } from './guard.ts';

/** What one admin request may redrive: the count, and the time it may take (the processor's request timeout is 60 s). */
export const ADMIN_REDRIVE_LIMITS = { messages: 500, seconds: 30 } as const;
/** Past this, republishes not yet started are left for another run, so the answer comes before the request times out. */
const ADMIN_REDRIVE_DEADLINE_MS = 40_000;
const PAGE_SIZE = 100;

/** A request that does not parse is a 400 naming each bad field, as the CLI names each bad flag. */
function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new HttpError('bad_request', describeIssues(result.error, '(request)').join('; '));
  return result.data;
}

/** A JSON body; one that is not JSON is a 400 (not an empty request that the defaults would fill in). */
async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError('invalid_json', 'the request body is not JSON');
  }
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

/** Refuses a redrive that would not finish inside the request, naming the CLI command that does it instead. */
export function checkRedriveSize(count: number, body: { filter: DeadLetterFilter; limit?: number | undefined; rate?: number | undefined }) {
  const { messages, seconds } = ADMIN_REDRIVE_LIMITS;
  if (count <= messages && (body.rate ? count / body.rate : 0) <= seconds) return;
  const why = count > messages ? `more than the ${messages}` : `more than ${seconds} s at ${body.rate}/s for the`;
  throw new HttpError(
    'bad_request',
    `this redrive matches ${count} dead letters, ${why} the admin page redrives in one request; ` +
      `run it from your machine: ${redriveCommand(body.filter, body)}`,
  );
}

export interface AdminOptions {
  /** How long one stats computation may take (STATS_DEADLINE_MS; shorter in tests). */
  statsDeadlineMs?: number | undefined;
}

/** `assets`: the page's files, read at start-up (a missing bundle stops the processor, naming the command that builds it). */
export function createAdminApp(ops: Ops, logger: Logger, assets: AdminAssets = loadAdminAssets(), options: AdminOptions = {}): Hono {
  const app = new Hono();
  const guard: GuardOptions = { onCloudRun: ops.config.K_SERVICE !== undefined };
  // Scans of one subscription at once would hide messages from each other, and each holds memory.
  const scans = createLimiter(1);
  const refuseIfScansBusy = () => {
    const { active, waiting } = scans.stats();
    if (active + waiting >= 3) {
      const message = 'other dead-letter operations are running on this instance; retry shortly';
      throw new HttpError('overloaded', message, { retryAfterSeconds: 5 });
    }
  };
  const oneScanAtATime = <T>(task: () => Promise<T>): Promise<T> => {
    refuseIfScansBusy();
    return scans.run(task);
  };
  // One stats computation at a time, none waiting: hundreds of queries each, and a Refresh pressed again must not
  // stack another behind one that may take up to its deadline.
  let statsRunning = false;
  const caller = (c: Context) => callerIdentity({ header: (name) => c.req.header(name) }, guard);

  app.use('/api/*', async (c, next) => {
    const refusal = adminRefusal({ method: c.req.method, header: (name) => c.req.header(name) }, guard);
    if (refusal) throw new HttpError('forbidden', refusal);
    await next();
  });

  serveAdminAssets(app, assets);

  app.get('/api/dead-letters', async (c) => {
    const { limit, showBody, ...filter } = parse(ListDeadLettersRequest, queryOf(c.req.url));
    const page = await oneScanAtATime(() => ops.deadLetters.list(filter, { limit: limit ?? PAGE_SIZE, showBody, stopWhenFull: true }));
    return c.json(page);
  });

  const redrive: Handler = async (c) => {
    const body = parse(RedriveRequest, await jsonBody(c));
    const summary = await oneScanAtATime(() =>
      ops.deadLetters.redrive({
        filter: body.filter,
        limit: body.limit,
        rate: body.rate,
        dryRun: body.dryRun,
        maxReplays: ops.config.HOOKPIPE_MAX_REPLAYS,
        // Counted first: too many for one request, and nothing is redriven.
        confirm: body.dryRun
          ? undefined
          : async (count) => {
              checkRedriveSize(count, body);
              return true;
            },
        signal: AbortSignal.timeout(ADMIN_REDRIVE_DEADLINE_MS),
      }),
    );
    if (!body.dryRun) {
      const { failures, refused, ...counts } = summary;
      const fields = { caller: caller(c), filter: body.filter, ...counts, refused: refused.length, failures };
      logger.info(fields, 'dead letters redriven from the admin API');
    }
    return c.json(summary);
  };
  app.post('/api/dead-letters/redrive', redrive);
  app.post('/api/dead-letters/replay', redrive);

  // The Overview's numbers: counted by Firestore (ops/src/stats.ts) within STATS_DEADLINE_MS, one computation at a
  // time; the dead-letter count is a scan like a listing's, whose slot is checked before anything is counted.
  app.get('/api/stats', async (c) => {
    const query = parse(StatsQuery, queryOf(c.req.url));
    if (statsRunning) {
      const message = 'the stats are being counted on this instance already; retry once they are shown';
      throw new HttpError('overloaded', message, { retryAfterSeconds: 5 });
    }
    refuseIfScansBusy();
    const deadLetters = { survey: (filter?: DeadLetterFilter) => oneScanAtATime(() => ops.deadLetters.survey(filter)) };
    statsRunning = true;
    try {
      const statsOptions = { ...query, deadlineMs: options.statsDeadlineMs ?? STATS_DEADLINE_MS };
      return c.json(await computeStats(ops.firestore, ops.config.HOOKPIPE_LEDGER_COLLECTION, deadLetters, statsOptions));
    } finally {
      statsRunning = false;
    }
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

  const seek: Handler = async (c) => {
    const body = parse(SeekRequest, await jsonBody(c));
    const who = caller(c);
    const result = await seekSubscription({
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
  };
  app.post('/api/seek', seek);
  app.post('/api/replay-since', seek);

  app.onError(
    errorHandler((entry, c) => {
      const fields = { method: c.req.method, path: c.req.path, ...entry };
      if (entry.error) logger.error(fields, 'admin call failed');
      else logger.warn(fields, 'admin call refused');
    }),
  );
  return app;
}
