// The admin API, under /admin on the processor: the same listing, filtering and replay as the CLI, through the same
// functions. In production the processor is private, so only principals with run.invoker reach it (for example
// through `gcloud run services proxy`). State-changing calls also need the `x-hookpipe-admin` header, which a
// cross-site form cannot send, so a page on another origin cannot replay through an operator's open proxy.
import { Hono } from 'hono';
import { z } from 'zod';
import { HttpError } from '../../../shared/src/errors.ts';
import { errorResponse } from '../../../shared/src/http.ts';
import { describeIssues } from '../../../shared/src/issues.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { ADMIN_PAGE } from './admin-page.ts';
import type { Ops } from './context.ts';
import { DateLike, DeadLetterFilter } from './dead-letter-view.ts';
import { EventQuery, findEvent, listEvents } from './events.ts';
import { seekReplay } from './seek.ts';

const optionalInt = (max: number) => z.coerce.number().int().min(1).max(max).optional();

const ListQuery = DeadLetterFilter.extend({ limit: optionalInt(10_000), showBody: z.enum(['0', '1', 'true', 'false']).optional() });

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

export function createAdminApp(ops: Ops, logger: Logger): Hono {
  const app = new Hono();

  app.use('/api/*', async (c, next) => {
    if (c.req.method !== 'GET' && c.req.header('x-hookpipe-admin') !== '1') {
      throw new HttpError('forbidden', 'admin calls that change state need the x-hookpipe-admin: 1 header');
    }
    await next();
  });

  app.get('/', (c) => c.html(ADMIN_PAGE));

  app.get('/api/dead-letters', async (c) => {
    const { limit, showBody, ...filter } = parse(ListQuery, queryOf(c.req.url));
    const result = await ops.deadLetters.list(filter, { limit, showBody: showBody === '1' || showBody === 'true' });
    return c.json(result);
  });

  app.post('/api/dead-letters/replay', async (c) => {
    const body = parse(ReplayBody, await c.req.json().catch(() => ({})));
    const summary = await ops.deadLetters.replay({
      filter: body.filter,
      limit: body.limit,
      rate: body.rate,
      dryRun: body.dryRun,
      maxReplays: ops.config.HOOKPIPE_MAX_REPLAYS,
    });
    if (!body.dryRun) logger.info({ filter: body.filter, ...summary, refused: summary.refused.length }, 'dead letters replayed from the admin API');
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
    const window = await seekReplay({
      pubsub: ops.pubsub,
      firestore: ops.firestore,
      subscription: ops.config.HOOKPIPE_PUSH_SUBSCRIPTION,
      since: body.since,
      force: body.force,
    });
    logger.info({ since: window.since, force: body.force }, 'subscription sought back from the admin API');
    return c.json(window);
  });

  app.onError((error) => {
    if (error instanceof HttpError) return errorResponse(error);
    logger.error({ error: { name: error.name, message: error.message } }, 'admin call failed');
    return errorResponse(new HttpError('unavailable', `the operation failed: ${error.message}`, { retryAfterSeconds: 5 }));
  });
  return app;
}
