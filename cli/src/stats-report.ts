// `hookpipe stats` in the terminal: the Stats (ops/src/stats-view.ts) as a few readable tables, the same numbers
// the admin page's Overview draws. Pure, so the layout is tested without a ledger.

import type { Stats } from '../../ops/src/stats-view.ts';
import { LEDGER_STATUSES } from '../../shared/src/ledger-entry.ts';
import { table } from './terminal.ts';

const BARS = '▁▂▃▄▅▆▇█';

/** One character per bucket, scaled to the busiest: how the events spread over the window. */
export function sparkline(values: number[]): string {
  const max = Math.max(0, ...values);
  return values.map((v) => (v === 0 ? ' ' : BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1)))])).join('');
}

/** A duration in the largest unit that keeps it readable: 42s, 17m, 5h 3m, 6d 2h. */
export function age(seconds: number): string {
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
}

/** Said when the ledger has more sources than the stats list: the rows then do not add up to the totals. */
export function moreSourcesNote(listed: number): string {
  return `the ledger has more than ${listed} sources: only the first ${listed} by name are listed, so they do not add up to all`;
}

export function statsReport(stats: Stats): string {
  const { window, totals } = stats;
  const lines: string[] = [];
  const scope = window.source ? `source ${window.source}` : 'all sources';
  lines.push(`${totals.events} event(s) from ${window.since} to ${window.until}, ${scope} (by first arrival; status as of now)`);
  const perBucket = stats.series.buckets.map((_, i) =>
    Object.values(stats.series.byStatus).reduce((sum, series) => sum + (series?.[i] ?? 0), 0),
  );
  lines.push(`per ${window.bucketSeconds / 60} min: |${sparkline(perBucket)}| at most ${Math.max(0, ...perBucket)}`);
  const statuses = LEDGER_STATUSES.filter((s) => (totals.byStatus[s] ?? 0) > 0);
  if (totals.events > 0) {
    const rows = [{ source: 'all', events: totals.events, byStatus: totals.byStatus }, ...stats.sources].map((row) => ({
      source: row.source,
      events: row.events,
      ...row.byStatus,
    }));
    lines.push('', table(rows, ['source', 'events', ...statuses]));
  }
  if (stats.moreSources) lines.push(moreSourcesNote(stats.sources.length));
  if (stats.slowest.length > 0) {
    const rows = stats.slowest.map((s) => ({ ...s, meanLatencyMs: s.meanLatencyMs.toFixed(1) }));
    lines.push('', 'slowest sources (mean receive-to-processed time of processed events):');
    lines.push(table(rows, ['source', 'processed', 'meanLatencyMs']));
  }
  const dl = stats.deadLetters;
  lines.push('', `dead letters waiting: ${dl.atLeast ? 'at least ' : ''}${dl.depth}${window.source ? ` (${window.source})` : ''}`);
  if (dl.oldestPublishTime !== undefined) {
    const expiry = dl.oldestExpiresAt ? `; the subscription drops it at ${dl.oldestExpiresAt} unless redriven` : '';
    lines.push(`oldest: dead-lettered ${dl.oldestPublishTime}, ${age(dl.oldestAgeSeconds ?? 0)} ago${expiry}`);
  }
  return lines.join('\n');
}
