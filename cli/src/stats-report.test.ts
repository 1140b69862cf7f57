// `hookpipe stats`'s terminal layout: every number of the Stats appears, in tables by status and source.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Stats } from '../../ops/src/stats-view.ts';
import { age, sparkline, statsReport } from './stats-report.ts';

const stats: Stats = {
  window: { since: '2026-11-25T10:00:00.000Z', until: '2026-11-25T10:03:00.000Z', bucketSeconds: 60 },
  totals: { events: 7, byStatus: { processed: 5, ignored: 2 } },
  sources: [
    { source: 'stripe', events: 4, byStatus: { processed: 4 } },
    { source: 'slack', events: 3, byStatus: { processed: 1, ignored: 2 } },
  ],
  series: {
    buckets: ['2026-11-25T10:00:00.000Z', '2026-11-25T10:01:00.000Z', '2026-11-25T10:02:00.000Z'],
    byStatus: { processed: [4, 0, 1], ignored: [0, 0, 2] },
    bySource: { stripe: [4, 0, 0], slack: [0, 0, 3] },
  },
  slowest: [{ source: 'slack', processed: 1, meanLatencyMs: 812.25 }],
  deadLetters: {
    depth: 3,
    atLeast: true,
    oldestPublishTime: '2026-11-20T10:00:00.000Z',
    oldestAgeSeconds: 5 * 86_400 + 3600,
    oldestExpiresAt: '2026-11-27T10:00:00.000Z',
  },
};

test('the report shows the totals and each source by status, the slowest sources and the dead letters', () => {
  const report = statsReport(stats);
  assert.match(report, /^7 event\(s\) from 2026-11-25T10:00:00.000Z to 2026-11-25T10:03:00.000Z, all sources/);
  assert.match(report, /\nsource +events +processed +ignored\nall +7 +5 +2\nstripe +4 +4\nslack +3 +1 +2\n/);
  assert.match(report, /per 1 min: \|█ ▆\| at most 4/);
  assert.match(report, /\nslack +1 +812\.3\n/);
  assert.match(
    report,
    /dead letters waiting: at least 3\noldest: dead-lettered 2026-11-20T10:00:00.000Z, 5d 1h ago; the subscription drops it at 2026-11-27/,
  );
});

test('an empty window says so, without tables', () => {
  const empty = statsReport({
    ...stats,
    totals: { events: 0, byStatus: {} },
    sources: [],
    series: { buckets: stats.series.buckets, byStatus: {}, bySource: {} },
    slowest: [],
    deadLetters: { depth: 0, atLeast: false },
  });
  assert.doesNotMatch(empty, /source +events/);
  assert.match(empty, /^0 event\(s\)/);
  assert.match(empty, /dead letters waiting: 0$/);
});

test('sparklines scale to the busiest bucket; ages in the largest readable unit', () => {
  assert.equal(sparkline([0, 1, 8]), ' ▁█');
  assert.equal(sparkline([0, 0]), '  ');
  assert.deepEqual([age(42), age(17 * 60), age(5 * 3600 + 180), age(6 * 86_400 + 7200)], ['42s', '17m', '5h 3m', '6d 2h']);
});

test('a ledger with more sources than listed says so under the table', () => {
  assert.doesNotMatch(statsReport(stats), /more than/);
  assert.match(
    statsReport({ ...stats, moreSources: true }),
    /\nslack +3 +1 +2\nthe ledger has more than 2 sources: only the first 2 by name are listed, so they do not add up to all\n/,
  );
});
