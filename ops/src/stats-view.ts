// What `hookpipe stats`, the admin API's GET /admin/api/stats and the admin page's Overview tab show: counts of the
// ledger's events over a window, by status and by source, per bucket of time; the slowest sources; the dead-letter
// queue's depth and its oldest message. One schema for the three, so the page and the terminal cannot disagree.
//
// What the ledger counts: every event that reached a handler's decision, by (source, deliveryId): processed, failed,
// dead-lettered (by a handler, or for want of one with HOOKPIPE_UNHANDLED=dead-letter), ignored, in progress. A
// message without the attributes the ingress sets (no source or deliveryId) cannot be keyed in the ledger: it is
// dead-lettered as `invalid-message` and appears only in the dead-letter depth below, never in the counts.
import { z } from 'zod';
import { LEDGER_STATUSES } from '../../shared/src/ledger-entry.ts';

const Counts = z.partialRecord(z.enum(LEDGER_STATUSES), z.number().int().nonnegative());

export const Stats = z.object({
  window: z.object({
    since: z.string(),
    until: z.string(),
    /** The series' step: the window divided into at most 60 buckets, rounded to a whole minute or more. */
    bucketSeconds: z.number().int().positive(),
    source: z.string().optional(),
  }),
  /** Events the ledger holds that arrived (createdAt) in the window: all of them, and by status. */
  totals: z.object({ events: z.number().int().nonnegative(), byStatus: Counts }),
  /**
   * Per source, busiest first: at most 100 (ops/src/stats.ts MAX_SOURCES, the first by name). More is unexpected (a
   * source is a configured webhook URL); then `moreSources` is true and the sources no longer add up to the totals.
   */
  sources: z.array(z.object({ source: z.string(), events: z.number().int().nonnegative(), byStatus: Counts })),
  moreSources: z.boolean().optional(),
  series: z.object({
    /** Each bucket's start (ISO 8601); the last bucket ends at `window.until`. */
    buckets: z.array(z.string()),
    /** Events per bucket by status; each array as long as `buckets`. */
    byStatus: z.partialRecord(z.enum(LEDGER_STATUSES), z.array(z.number().int().nonnegative())),
    /**
     * Events per bucket by source, for the busiest sources; the rest summed under `other`. Empty for a window longer
     * than 24 h (SOURCE_SERIES_MAX_MS): up to 300 more queries for a chart of hour-wide bars; `sources` has the totals.
     */
    bySource: z.record(z.string(), z.array(z.number().int().nonnegative())),
  }),
  /**
   * Sources by mean receive-to-processed latency of their processed events, slowest first. `processed` counts them
   * all; the mean is over those with a stored latency (events processed before latencies were stored have none).
   * A redriven event's latency counts from its redrive, not from its first arrival.
   */
  slowest: z.array(z.object({ source: z.string(), processed: z.number().int().nonnegative(), meanLatencyMs: z.number().nonnegative() })),
  deadLetters: z.object({
    /** Messages waiting in the dead-letter subscription (counted up to `scanLimit`). */
    depth: z.number().int().nonnegative(),
    /** True when the scan stopped at its limit: there are at least `depth`. */
    atLeast: z.boolean(),
    oldestPublishTime: z.string().optional(),
    oldestAgeSeconds: z.number().nonnegative().optional(),
    /** When the subscription drops the oldest message (its publish time plus the subscription's retention). */
    oldestExpiresAt: z.string().optional(),
  }),
});
export type Stats = z.infer<typeof Stats>;
