// The numbers of `hookpipe stats`, GET /admin/api/stats and the admin page's Overview (the Stats of stats-view.ts),
// counted by Firestore, never by reading the ledger's documents: aggregation queries (count(), and avg() of the
// latency a completion stores) over the ledger's indexes, all read in one read-only transaction, so that they come
// from one consistent snapshot and add up exactly (the buckets to the totals, the sources to the totals), while
// events keep arriving. The dead-letter queue's depth and oldest message come from its bounded scan.
//
// What a number means: an event is one ledger document, one (source, deliveryId), counted once however often it was
// delivered (duplicates are not events); it is in the window, and in a bucket, by `createdAt`, when the processor
// first recorded it; it counts under the status it has when the stats are read.
//
// Cost (https://cloud.google.com/firestore/pricing, "Aggregation queries"; https://cloud.google.com/blog/products/
// databases/aggregate-with-sum-and-avg-in-firestore): each aggregation query is billed one document read per batch
// of up to 1,000 index entries it matches, at least one; its time grows with the entries it scans
// (https://cloud.google.com/firestore/docs/query-data/aggregation-queries). The plan below scans the window's index
// entries about five times over (totals, per source, per bucket, per bucket and status, per bucket and busy source):
// a window of a million events costs about 5,000 reads, and a few hundred small queries (1 read each) at least.
// The composite indexes these queries need in production are in infra/firestore.tf.
//
// Bounds: a window longer than a day (SOURCE_SERIES_MAX_MS) has no series by source (up to 300 more queries, for a
// chart whose bars are then hours wide; the per-source totals stay), and each bucket's busiest status is derived
// from its total rather than counted. With `deadlineMs`, no query starts past the deadline and the answer is an
// error telling the operator to narrow the window (the queries already in flight, at most CONCURRENCY, end alone:
// Firestore's client cannot cancel one). The admin API runs one computation at a time per instance.
//
// Counts come from count() queries only. The mean latency's query is served by the index that holds latencyMs,
// where a document without the field (processed before latencies were stored) has no entry: that query gives the
// mean over the events that have a latency, and never a count.
import { AggregateField, type Firestore, type Query, type Transaction } from '@google-cloud/firestore';
import { z } from 'zod';
import { DateLike } from '../../shared/src/date-like.ts';
import { HttpError } from '../../shared/src/errors.ts';
import { LEDGER_STATUSES, type LedgerStatus } from '../../shared/src/ledger-entry.ts';
import { createLimiter } from '../../shared/src/limiter.ts';
import type { DeadLetterSurvey } from './dead-letter-queue.ts';
import type { DeadLetterFilter } from './dead-letter-view.ts';
import type { Stats } from './stats-view.ts';

/** The window when none is given: the last hour. */
export const DEFAULT_WINDOW_MS = 60 * 60 * 1000;
/** The longest window: the ledger keeps 30 days by default (HOOKPIPE_LEDGER_RETENTION_DAYS), a little more is allowed. */
export const MAX_WINDOW_MS = 31 * 24 * 60 * 60 * 1000;
export const MAX_BUCKETS = 60;
/** Sources with a series of their own; the rest are summed under `other`. */
export const SERIES_SOURCES = 5;
/** Sources listed at most (found one query each); more is unexpected: a source is a configured webhook URL. */
export const MAX_SOURCES = 100;
export const SLOWEST_SOURCES = 10;
/** Aggregation queries in flight at once. */
const CONCURRENCY = 8;
export const OTHER_SOURCES = 'other';
/** Windows longer than this have no series by source (Stats' series.bySource is empty): see the header. */
export const SOURCE_SERIES_MAX_MS = 24 * 60 * 60 * 1000;
/** The admin API's deadline for one computation: under the processor's 60 s request timeout, with room to answer. */
export const STATS_DEADLINE_MS = 40_000;

/** The answer when the counting passes its deadline: a 503 the operator can act on. */
export function statsTooSlow(deadlineMs: number): HttpError {
  return new HttpError(
    'unavailable',
    `the stats could not be counted within ${Math.round(deadlineMs / 1000)} s: narrow the window (since/until) or choose one source`,
  );
}

/**
 * The composite indexes the counts need beyond Firestore's single-field ones, as infra/firestore.tf declares them
 * (infra/stats-indexes.test.ts checks it): one status and one source over a time range are served by the ledger's
 * listing indexes ((status, createdAt desc), (source, createdAt desc)); both together by the first below; the mean
 * latency by the second, which holds the averaged field.
 */
export const STATS_INDEXES: ReadonlyArray<ReadonlyArray<readonly [string, 'ASCENDING' | 'DESCENDING']>> = [
  [
    ['status', 'ASCENDING'],
    ['createdAt', 'DESCENDING'],
  ],
  [
    ['source', 'ASCENDING'],
    ['createdAt', 'DESCENDING'],
  ],
  [
    ['source', 'ASCENDING'],
    ['status', 'ASCENDING'],
    ['createdAt', 'DESCENDING'],
  ],
  [
    ['source', 'ASCENDING'],
    ['status', 'ASCENDING'],
    ['createdAt', 'DESCENDING'],
    ['latencyMs', 'ASCENDING'],
  ],
];

/** One query for the CLI's flags and the admin API's query string; times as the other operations take them. */
export const StatsQuery = z
  .object({
    since: DateLike.optional(),
    until: DateLike.optional(),
    source: z.string().min(1).optional(),
  })
  .superRefine((query, context) => {
    const until = query.until ?? new Date();
    const since = query.since ?? new Date(until.getTime() - DEFAULT_WINDOW_MS);
    if (since >= until) context.addIssue({ code: 'custom', path: ['since'], message: 'must be before until' });
    else if (until.getTime() - since.getTime() > MAX_WINDOW_MS) {
      context.addIssue({ code: 'custom', path: ['since'], message: 'the window must be at most 31 days (the ledger keeps 30)' });
    }
  });
export type StatsQuery = z.input<typeof StatsQuery>;

export interface Window {
  since: Date;
  until: Date;
  bucketSeconds: number;
  /** Each bucket's [start, end): the last ends at `until`, the first starts at `since` (and may be shorter). */
  buckets: Array<{ start: Date; end: Date }>;
}

/** The window cut into at most 60 buckets of a whole number of minutes, aligned on its end. */
export function windowOf(since: Date, until: Date): Window {
  const span = until.getTime() - since.getTime();
  const bucketSeconds = Math.max(1, Math.ceil(span / 1000 / MAX_BUCKETS / 60)) * 60;
  const step = bucketSeconds * 1000;
  const count = Math.max(1, Math.ceil(span / step));
  const buckets = Array.from({ length: count }, (_, i) => {
    const end = new Date(until.getTime() - (count - 1 - i) * step);
    return { start: new Date(Math.max(since.getTime(), end.getTime() - step)), end };
  });
  return { since, until, bucketSeconds, buckets };
}

type Counts = Partial<Record<LedgerStatus, number>>;

const sum = (counts: Counts) => Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);

/** Statuses with a count above zero, in the ledger's order: the rest are left out of a Counts. */
function nonZero(counts: Counts): Counts {
  return Object.fromEntries(LEDGER_STATUSES.filter((s) => (counts[s] ?? 0) > 0).map((s) => [s, counts[s]!]));
}

/** A record by status with its keys in the ledger's order (the order the page and the terminal show them in). */
function inLedgerOrder<T>(record: Partial<Record<LedgerStatus, T>>): Partial<Record<LedgerStatus, T>> {
  return Object.fromEntries(LEDGER_STATUSES.filter((s) => record[s] !== undefined).map((s) => [s, record[s]!]));
}

/** The busiest sources first (by events, then by name), and the ones with a series of their own. */
export function rankSources<T extends { source: string; events: number }>(sources: T[], seriesSources = SERIES_SOURCES) {
  const ranked = sources.filter((s) => s.events > 0).sort((a, b) => b.events - a.events || a.source.localeCompare(b.source));
  return { ranked, charted: ranked.slice(0, seriesSources).map((s) => s.source) };
}

/** `other` per bucket: what the charted sources leave of each bucket's total (never below zero). */
export function otherSeries(totals: number[], charted: number[][]): number[] {
  return totals.map((total, i) => Math.max(0, total - charted.reduce((a, series) => a + (series[i] ?? 0), 0)));
}

/** The slowest sources by mean latency of their processed events, slowest first (ties by name). */
export function slowestOf(latencies: Array<{ source: string; processed: number; meanLatencyMs: number | null }>, limit = SLOWEST_SOURCES) {
  return latencies
    .filter((l): l is { source: string; processed: number; meanLatencyMs: number } => l.processed > 0 && l.meanLatencyMs !== null)
    .map((l) => ({ ...l, meanLatencyMs: Math.round(l.meanLatencyMs * 10) / 10 }))
    .sort((a, b) => b.meanLatencyMs - a.meanLatencyMs || a.source.localeCompare(b.source))
    .slice(0, limit);
}

/** The dead-letter part of the stats, from a survey of the queue, at `now`. */
export function deadLetterStats(survey: DeadLetterSurvey, now: Date): Stats['deadLetters'] {
  const oldest = survey.oldestPublishTime;
  return {
    depth: survey.depth,
    atLeast: survey.atLeast,
    ...(oldest
      ? {
          oldestPublishTime: oldest.toISOString(),
          oldestAgeSeconds: Math.max(0, Math.floor((now.getTime() - oldest.getTime()) / 1000)),
          ...(survey.retentionSeconds === undefined
            ? {}
            : { oldestExpiresAt: new Date(oldest.getTime() + survey.retentionSeconds * 1000).toISOString() }),
        }
      : {}),
  };
}

interface Filter {
  status?: LedgerStatus | undefined;
  source?: string | undefined;
  start: Date;
  end: Date;
}

/**
 * Counts (and mean latencies) read by aggregation queries inside one read-only transaction, a few at a time.
 * `check` runs before each query starts, and throws to stop the counting (its deadline has passed).
 */
function counter(firestore: Firestore, collection: string, tx: Transaction, check: () => void) {
  const limiter = createLimiter(CONCURRENCY);
  const run = <T>(task: () => Promise<T>) =>
    limiter.run(() => {
      check();
      return task();
    });
  const query = ({ status, source, start, end }: Filter): Query => {
    let q: Query = firestore.collection(collection);
    if (source !== undefined) q = q.where('source', '==', source);
    if (status !== undefined) q = q.where('status', '==', status);
    // Ordered as the ledger's indexes are (createdAt descending), so that the indexes `events list` uses serve.
    return q.where('createdAt', '>=', start).where('createdAt', '<', end).orderBy('createdAt', 'desc');
  };
  return {
    count: (filter: Filter) => run(async () => (await tx.get(query(filter).count())).data().count),
    /** The mean over the matching events that have a latency (null: none has); never a count (see the header). */
    meanLatency: (filter: Filter) =>
      run(async () => (await tx.get(query(filter).aggregate({ mean: AggregateField.average('latencyMs') }))).data().mean),
    /**
     * The sources in the ledger, one query each: the next name after the last (a document read each); `more` when
     * there are more than MAX_SOURCES, which are left out.
     */
    async sources(): Promise<{ found: string[]; more: boolean }> {
      const found: string[] = [];
      while (found.length <= MAX_SOURCES) {
        let q = firestore.collection(collection).orderBy('source').select('source').limit(1);
        if (found.length > 0) q = q.where('source', '>', found.at(-1)!);
        const snapshot = await run(() => tx.get(q));
        const next = snapshot.docs[0]?.get('source') as unknown;
        if (typeof next !== 'string') break;
        found.push(next);
      }
      return { found: found.slice(0, MAX_SOURCES), more: found.length > MAX_SOURCES };
    },
  };
}

export interface StatsOptions {
  since?: Date | undefined;
  until?: Date | undefined;
  source?: string | undefined;
  now?: Date | undefined;
  /** Sources with a series of their own (SERIES_SOURCES). */
  seriesSources?: number | undefined;
  /** Stop counting after this long and fail with statsTooSlow (the admin API: STATS_DEADLINE_MS); none by default. */
  deadlineMs?: number | undefined;
}

/** The dead-letter queue, as the stats read it (dead-letter-queue.ts). */
export interface DeadLetterSurveyPort {
  survey(filter?: DeadLetterFilter): Promise<DeadLetterSurvey>;
}

/** The stats of the ledger in `collection` and of the dead-letter queue, over a window (by default the last hour). */
export async function computeStats(
  firestore: Firestore,
  collection: string,
  deadLetters: DeadLetterSurveyPort,
  options: StatsOptions = {},
): Promise<Stats> {
  const now = options.now ?? new Date();
  const until = options.until ?? now;
  const window = windowOf(options.since ?? new Date(until.getTime() - DEFAULT_WINDOW_MS), until);
  const { since } = window;
  const whole = { start: since, end: until };
  const { deadlineMs } = options;
  // Set when the answer is given up (the deadline's timer below fired, or the survey failed): no further query starts.
  let halted: unknown;
  const check = () => {
    if (halted !== undefined) throw halted;
  };
  // The queue's scan is asked for first: the admin API refuses it at once when its dead-letter slot is busy, and then
  // nothing has been counted in vain. It runs while Firestore counts.
  const surveying = deadLetters.survey(options.source === undefined ? {} : { source: options.source });
  const counting = firestore.runTransaction(
    async (tx) => {
      const count = counter(firestore, collection, tx, check);
      const [sources, totals] = await Promise.all([
        options.source === undefined ? count.sources() : { found: [options.source], more: false },
        Promise.all(LEDGER_STATUSES.map((status) => count.count({ ...whole, source: options.source, status }))),
      ]);
      const totalsByStatus: Counts = Object.fromEntries(LEDGER_STATUSES.map((status, i) => [status, totals[i]!]));
      // Busiest first: the first one's series is derived from the buckets' totals.
      const statuses = LEDGER_STATUSES.filter((s) => (totalsByStatus[s] ?? 0) > 0).sort((a, b) => totalsByStatus[b]! - totalsByStatus[a]!);
      // Per source, the statuses with events only, each by count(); the processed ones' mean latency beside.
      const perSource = await Promise.all(
        sources.found.map(async (source) => {
          const byStatus: Counts = {};
          let meanLatencyMs: number | null = null;
          await Promise.all(
            statuses.map(async (status) => {
              byStatus[status] = await count.count({ ...whole, source, status });
              if (status === 'processed' && byStatus.processed! > 0) meanLatencyMs = await count.meanLatency({ ...whole, source, status });
            }),
          );
          return { source, events: sum(byStatus), byStatus: nonZero(byStatus), meanLatencyMs };
        }),
      );
      const { ranked, charted } = rankSources(perSource, options.seriesSources);

      // Per bucket: its total, then (for a bucket with events) what cannot be derived from it.
      const bucketTotals = await Promise.all(window.buckets.map((bucket) => count.count({ source: options.source, ...bucket })));
      const series = async (filter: (bucket: Filter) => Filter) =>
        Promise.all(
          window.buckets.map((bucket, i) => (bucketTotals[i] === 0 ? 0 : count.count(filter({ source: options.source, ...bucket })))),
        );
      const [busiest, ...others] = statuses;
      const counted = await Promise.all(others.map((status) => series((b) => ({ ...b, status }))));
      const byStatus: Partial<Record<LedgerStatus, number[]>> = Object.fromEntries(others.map((status, i) => [status, counted[i]!]));
      // The busiest status has what the others leave of each bucket (one snapshot: exact).
      if (busiest) byStatus[busiest] = otherSeries(bucketTotals, counted);
      const withSourceSeries = until.getTime() - since.getTime() <= SOURCE_SERIES_MAX_MS;
      const chartedSources = withSourceSeries ? charted : [];
      // The only source with events has all of each bucket's.
      const chartedSeries = await Promise.all(
        chartedSources.map((source) => (ranked.length === 1 && !sources.more ? bucketTotals : series((b) => ({ ...b, source })))),
      );
      const bySource: Record<string, number[]> = Object.fromEntries(chartedSources.map((source, i) => [source, chartedSeries[i]!]));
      if (withSourceSeries && (ranked.length > chartedSources.length || sources.more)) {
        bySource[OTHER_SOURCES] = otherSeries(bucketTotals, chartedSeries);
      }
      return { totalsByStatus, ranked, more: sources.more, byStatus: inLedgerOrder(byStatus), bySource };
    },
    { readOnly: true },
  );
  let timer: NodeJS.Timeout | undefined;
  const overdue =
    deadlineMs === undefined
      ? []
      : [new Promise<never>((_, reject) => (timer = setTimeout(() => reject(statsTooSlow(deadlineMs)), deadlineMs)))];
  let ledger: Awaited<typeof counting>;
  let survey: DeadLetterSurvey;
  try {
    [ledger, survey] = await Promise.race([Promise.all([counting, surveying]), ...overdue]);
  } catch (error) {
    halted = error;
    throw error;
  } finally {
    clearTimeout(timer);
  }

  return {
    window: {
      since: since.toISOString(),
      until: until.toISOString(),
      bucketSeconds: window.bucketSeconds,
      ...(options.source === undefined ? {} : { source: options.source }),
    },
    totals: { events: sum(ledger.totalsByStatus), byStatus: nonZero(ledger.totalsByStatus) },
    sources: ledger.ranked.map(({ source, events, byStatus }) => ({ source, events, byStatus })),
    ...(ledger.more ? { moreSources: true } : {}),
    series: {
      buckets: window.buckets.map((b) => b.start.toISOString()),
      byStatus: ledger.byStatus,
      bySource: ledger.bySource,
    },
    slowest: slowestOf(
      ledger.ranked.map((s) => ({ source: s.source, processed: s.byStatus.processed ?? 0, meanLatencyMs: s.meanLatencyMs })),
    ),
    deadLetters: deadLetterStats(survey, now),
  };
}
