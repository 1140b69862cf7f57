// The stats' counting on the Firestore emulator: a known mix of ledger documents, written by the processor's own
// ledger (processor/src/ledger.ts) at chosen times, and the Stats computed from it by aggregation queries, by status,
// by source, per bucket, with the slowest sources; events outside the window are left out, and the window's end is
// exclusive.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FirestoreLedger } from '../../processor/src/ledger.ts';
import { HttpError } from '../../shared/src/errors.ts';
import { testFirestore, uniqueCollection } from '../../test/support/firestore.ts';
import type { DeadLetterSurvey } from './dead-letter-queue.ts';
import type { DeadLetterFilter } from './dead-letter-view.ts';
import { computeStats, MAX_SOURCES } from './stats.ts';

const firestore = testFirestore();
after(() => firestore.terminate());

const since = new Date('2026-11-25T10:00:00Z');
const until = new Date('2026-11-25T10:10:00Z');
const minute = (m: number, ms = 0) => new Date(since.getTime() + m * 60_000 + ms);

type Fate = 'processed' | 'failed' | 'dead-lettered' | 'ignored' | 'processing';

/** Records one event as the processor does: claimed (or ignored) at `at`, then settled `latencyMs` after it arrived. */
async function record(ledger: FirestoreLedger, source: string, id: string, at: Date, fate: Fate, latencyMs = 0) {
  const input = { source, deliveryId: id, messageId: `m-${id}`, replayCount: 0, now: at, receivedAt: new Date(at.getTime() - 10) };
  if (fate === 'ignored') return void (await ledger.ignore(input));
  await ledger.claim({ ...input, handler: 'h' });
  const error = { class: 'Error', message: 'boom' };
  if (fate === 'processed')
    await ledger.complete(source, id, {
      handler: 'h',
      now: new Date(input.receivedAt.getTime() + latencyMs),
      receivedAt: input.receivedAt,
    });
  if (fate === 'failed') await ledger.fail(source, id, error, at);
  if (fate === 'dead-lettered') await ledger.deadLettered(source, id, error, at);
}

let collection: string;
before(async () => {
  collection = uniqueCollection('stats');
  const ledger = new FirestoreLedger(firestore, { collection, leaseMs: 60_000, retentionDays: 30 });
  await Promise.all([
    record(ledger, 'stripe', 's1', minute(0), 'processed', 100),
    record(ledger, 'stripe', 's2', minute(1), 'processed', 200),
    record(ledger, 'stripe', 's3', minute(1, 30_000), 'processed', 300),
    record(ledger, 'stripe', 's4', minute(2), 'failed'),
    record(ledger, 'stripe', 's5', minute(9, 59_999), 'dead-lettered'),
    record(ledger, 'stripe', 's6', minute(5), 'ignored'),
    record(ledger, 'github', 'g1', minute(3), 'processed', 1000),
    record(ledger, 'github', 'g2', minute(3), 'processed', 1000),
    record(ledger, 'github', 'g3', minute(4), 'processing'),
    record(ledger, 'slack', 'k1', minute(6), 'ignored'),
    // Outside the window: just before it, and at its (exclusive) end.
    record(ledger, 'stripe', 'before', new Date(since.getTime() - 1), 'processed', 5),
    record(ledger, 'zendesk', 'after', until, 'processed', 5),
  ]);
});

const noDeadLetters = {
  filters: [] as DeadLetterFilter[],
  async survey(filter: DeadLetterFilter = {}): Promise<DeadLetterSurvey> {
    this.filters.push(filter);
    return { depth: 2, atLeast: false, oldestPublishTime: minute(1), retentionSeconds: 600 };
  },
};

const zeros = (n = 10) => Array.from({ length: n }, () => 0);
const series = (values: Record<number, number>) => zeros().map((_, i) => values[i] ?? 0);

test('the stats of a known mix: totals, per source, per minute by status and by source, the slowest sources', async () => {
  const stats = await computeStats(firestore, collection, noDeadLetters, { since, until, now: minute(20) });
  assert.deepEqual(stats.window, { since: since.toISOString(), until: until.toISOString(), bucketSeconds: 60 });
  assert.deepEqual(stats.totals, { events: 10, byStatus: { processing: 1, processed: 5, failed: 1, 'dead-lettered': 1, ignored: 2 } });
  assert.deepEqual(stats.sources, [
    { source: 'stripe', events: 6, byStatus: { processed: 3, failed: 1, 'dead-lettered': 1, ignored: 1 } },
    { source: 'github', events: 3, byStatus: { processing: 1, processed: 2 } },
    { source: 'slack', events: 1, byStatus: { ignored: 1 } },
  ]);
  assert.deepEqual(
    stats.series.buckets,
    zeros().map((_, i) => minute(i).toISOString()),
  );
  assert.deepEqual(stats.series.byStatus, {
    processing: series({ 4: 1 }),
    processed: series({ 0: 1, 1: 2, 3: 2 }),
    failed: series({ 2: 1 }),
    'dead-lettered': series({ 9: 1 }),
    ignored: series({ 5: 1, 6: 1 }),
  });
  assert.deepEqual(stats.series.bySource, {
    stripe: series({ 0: 1, 1: 2, 2: 1, 5: 1, 9: 1 }),
    github: series({ 3: 2, 4: 1 }),
    slack: series({ 6: 1 }),
  });
  assert.deepEqual(stats.slowest, [
    { source: 'github', processed: 2, meanLatencyMs: 1000 },
    { source: 'stripe', processed: 3, meanLatencyMs: 200 },
  ]);
  assert.deepEqual(stats.deadLetters, {
    depth: 2,
    atLeast: false,
    oldestPublishTime: minute(1).toISOString(),
    oldestAgeSeconds: 19 * 60,
    oldestExpiresAt: minute(11).toISOString(),
  });
});

test('the stats of one source, and the quieter sources summed under other', async () => {
  const stripe = await computeStats(firestore, collection, noDeadLetters, { since, until, source: 'stripe' });
  assert.equal(stripe.window.source, 'stripe');
  assert.deepEqual(stripe.totals, { events: 6, byStatus: { processed: 3, failed: 1, 'dead-lettered': 1, ignored: 1 } });
  assert.deepEqual(stripe.series.bySource, { stripe: series({ 0: 1, 1: 2, 2: 1, 5: 1, 9: 1 }) });
  assert.deepEqual(noDeadLetters.filters.at(-1), { source: 'stripe' }, 'the dead letters of that source');

  const top = await computeStats(firestore, collection, noDeadLetters, { since, until, seriesSources: 1 });
  assert.deepEqual(top.series.bySource, { stripe: series({ 0: 1, 1: 2, 2: 1, 5: 1, 9: 1 }), other: series({ 3: 2, 4: 1, 6: 1 }) });
});

test('a window with no events: zeros everywhere, every bucket listed', async () => {
  const empty = await computeStats(firestore, collection, noDeadLetters, { since: minute(60), until: minute(120) });
  assert.deepEqual(empty.totals, { events: 0, byStatus: {} });
  assert.deepEqual(empty.sources, []);
  assert.equal(empty.series.buckets.length, 60);
  assert.deepEqual(empty.series.byStatus, {});
  assert.deepEqual(empty.series.bySource, {});
  assert.deepEqual(empty.slowest, []);
});

test('processed events written before latencies were stored count per source like the others; the mean is over the measured', async () => {
  // In production the mean's query is served by the index holding latencyMs, which has no entry for a document without
  // it: counts taken from that query would leave such events out of the per-source numbers.
  const legacy = uniqueCollection('stats-legacy');
  const ledger = new FirestoreLedger(firestore, { collection: legacy, leaseMs: 60_000, retentionDays: 30 });
  await record(ledger, 'stripe', 'measured', minute(1), 'processed', 400);
  for (const id of ['old1', 'old2']) {
    await ledger.claim({ source: 'stripe', deliveryId: id, messageId: `m-${id}`, replayCount: 0, now: minute(2), handler: 'h' });
    await ledger.complete('stripe', id, { handler: 'h', now: minute(2, 50) });
  }
  const stats = await computeStats(firestore, legacy, noDeadLetters, { since, until });
  assert.deepEqual(stats.totals, { events: 3, byStatus: { processed: 3 } });
  assert.deepEqual(stats.sources, [{ source: 'stripe', events: 3, byStatus: { processed: 3 } }]);
  assert.deepEqual(stats.slowest, [{ source: 'stripe', processed: 3, meanLatencyMs: 400 }]);
});

test('a window longer than a day has its series by status, none by source, and the per-source totals', async () => {
  const long = await computeStats(firestore, collection, noDeadLetters, { since: new Date(until.getTime() - 2 * 86_400_000), until });
  assert.deepEqual(long.series.bySource, {});
  assert.equal(long.totals.events, 11, 'the one just before the short window is in this one');
  assert.deepEqual(
    Object.fromEntries(Object.entries(long.series.byStatus).map(([status, values]) => [status, values.reduce((a, b) => a + b, 0)])),
    { processing: 1, processed: 6, failed: 1, 'dead-lettered': 1, ignored: 2 },
  );
  assert.deepEqual(
    long.sources.map((s) => [s.source, s.events]),
    [
      ['stripe', 7],
      ['github', 3],
      ['slack', 1],
    ],
  );
});

test('past its deadline the counting stops and fails with a 503 that says to narrow the window', async () => {
  await assert.rejects(
    computeStats(firestore, collection, noDeadLetters, { since, until, deadlineMs: 0 }),
    (error: unknown) =>
      error instanceof HttpError &&
      error.status === 503 &&
      /within 0 s: narrow the window \(since\/until\) or choose one source$/.test(error.message),
  );
});

test('more sources than are listed: the first by name are, and the stats say that there are more', async () => {
  const crowded = uniqueCollection('stats-crowded');
  const ledger = new FirestoreLedger(firestore, { collection: crowded, leaseMs: 60_000, retentionDays: 30 });
  const names = Array.from({ length: MAX_SOURCES + 1 }, (_, i) => `source-${String(i).padStart(3, '0')}`);
  await Promise.all(names.map((name) => record(ledger, name, 'e', minute(1), 'ignored')));
  const stats = await computeStats(firestore, crowded, noDeadLetters, { since, until });
  assert.equal(stats.totals.events, MAX_SOURCES + 1);
  assert.equal(stats.sources.length, MAX_SOURCES);
  assert.equal(stats.sources.at(-1)!.source, names.at(-2));
  assert.equal(stats.moreSources, true);
  const few = await computeStats(firestore, collection, noDeadLetters, { since, until });
  assert.equal(few.moreSources, undefined, 'said only when there are more');
});
