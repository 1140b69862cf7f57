// The stats' pure parts, without emulators: how a window is cut into buckets, which sources get a series of their
// own and what `other` holds, the slowest sources, the dead-letter figures, and the query's checks. The counting
// itself runs on the Firestore emulator (stats-queries.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deadLetterStats, otherSeries, rankSources, StatsQuery, slowestOf, windowOf } from './stats.ts';

const at = (iso: string) => new Date(iso);

test('a window is cut into at most 60 buckets of whole minutes, the last ending at until, the first starting at since', () => {
  const hour = windowOf(at('2026-11-25T10:00:00Z'), at('2026-11-25T11:00:00Z'));
  assert.equal(hour.bucketSeconds, 60);
  assert.equal(hour.buckets.length, 60);
  assert.deepEqual(hour.buckets[0], { start: at('2026-11-25T10:00:00Z'), end: at('2026-11-25T10:01:00Z') });
  assert.deepEqual(hour.buckets.at(-1)!.end, at('2026-11-25T11:00:00Z'));

  const day = windowOf(at('2026-11-24T11:00:00Z'), at('2026-11-25T11:00:00Z'));
  assert.deepEqual({ step: day.bucketSeconds, count: day.buckets.length }, { step: 24 * 60, count: 60 });

  // 61 minutes: two-minute buckets, the first one clipped to the window.
  const odd = windowOf(at('2026-11-25T09:59:00Z'), at('2026-11-25T11:00:00Z'));
  assert.deepEqual({ step: odd.bucketSeconds, count: odd.buckets.length }, { step: 120, count: 31 });
  assert.deepEqual(odd.buckets[0], { start: at('2026-11-25T09:59:00Z'), end: at('2026-11-25T10:00:00Z') });
  for (let i = 1; i < odd.buckets.length; i += 1) assert.deepEqual(odd.buckets[i]!.start, odd.buckets[i - 1]!.end, 'contiguous');

  const short = windowOf(at('2026-11-25T10:59:30Z'), at('2026-11-25T11:00:00Z'));
  assert.deepEqual(
    { step: short.bucketSeconds, buckets: short.buckets },
    {
      step: 60,
      buckets: [{ start: at('2026-11-25T10:59:30Z'), end: at('2026-11-25T11:00:00Z') }],
    },
  );
  const month = windowOf(at('2026-10-25T11:00:00Z'), at('2026-11-25T11:00:00Z'));
  assert.ok(month.buckets.length <= 60 && month.bucketSeconds % 60 === 0);
});

test('the busiest sources get a series each, ties by name; other is what they leave of each bucket', () => {
  const sources = [
    { source: 'slack', events: 2 },
    { source: 'stripe', events: 9 },
    { source: 'github', events: 2 },
    { source: 'idle', events: 0 },
  ];
  const { ranked, charted } = rankSources(sources, 2);
  assert.deepEqual(
    ranked.map((s) => s.source),
    ['stripe', 'github', 'slack'],
  );
  assert.deepEqual(charted, ['stripe', 'github']);
  assert.deepEqual(
    otherSeries(
      [5, 0, 6],
      [
        [3, 0, 4],
        [1, 0, 2],
      ],
    ),
    [1, 0, 0],
  );
  assert.deepEqual(otherSeries([1], [[2]]), [0], 'never below zero');
});

test('the slowest sources: processed events with a mean latency only, slowest first, rounded to 0.1 ms', () => {
  assert.deepEqual(
    slowestOf([
      { source: 'a', processed: 3, meanLatencyMs: 120.04 },
      { source: 'b', processed: 0, meanLatencyMs: null },
      { source: 'c', processed: 2, meanLatencyMs: 900 },
      { source: 'd', processed: 1, meanLatencyMs: null },
    ]),
    [
      { source: 'c', processed: 2, meanLatencyMs: 900 },
      { source: 'a', processed: 3, meanLatencyMs: 120 },
    ],
  );
});

test('dead letters: depth, the oldest with its age and its expiry (publication plus the retention)', () => {
  const now = at('2026-11-25T11:00:00Z');
  assert.deepEqual(deadLetterStats({ depth: 0, atLeast: false, retentionSeconds: 604_800 }, now), { depth: 0, atLeast: false });
  assert.deepEqual(
    deadLetterStats({ depth: 3, atLeast: true, oldestPublishTime: at('2026-11-20T11:00:00Z'), retentionSeconds: 7 * 86_400 }, now),
    {
      depth: 3,
      atLeast: true,
      oldestPublishTime: '2026-11-20T11:00:00.000Z',
      oldestAgeSeconds: 5 * 86_400,
      oldestExpiresAt: '2026-11-27T11:00:00.000Z',
    },
  );
  const unknown = deadLetterStats({ depth: 1, atLeast: false, oldestPublishTime: at('2026-11-25T10:00:00Z') }, now);
  assert.equal(unknown.oldestExpiresAt, undefined, 'no expiry when the retention could not be read');
});

test('the query: since must come before until, the window at most 31 days; times as ISO strings or dates', () => {
  const issue = (input: unknown) => {
    const result = StatsQuery.safeParse(input);
    return result.success ? undefined : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  };
  assert.equal(issue({ since: '2026-11-25T10:00:00Z', until: '2026-11-25T11:00:00Z', source: 'stripe' }), undefined);
  assert.equal(issue({}), undefined);
  assert.equal(issue({ since: '2026-11-25T11:00:00Z', until: '2026-11-25T10:00:00Z' }), 'since: must be before until');
  assert.match(issue({ since: '2026-01-01T00:00:00Z', until: '2026-11-25T10:00:00Z' })!, /^since: the window must be at most 31 days/);
  assert.match(issue({ since: 'yesterday' })!, /^since: /);
  assert.match(issue({ source: '' })!, /^source: /);
});
