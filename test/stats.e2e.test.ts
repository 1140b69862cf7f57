// The stats end to end, on the emulators: a scripted mix of webhooks goes through the ingress and the processor
// (processed, dead-lettered, ignored for want of a handler, and a provider's resend that is a duplicate, not a new
// event); `hookpipe stats --json`, spawned as an operator runs it, and the admin API's GET /admin/api/stats answer
// the same numbers, which equal the mix and a direct count of the ledger's documents; the dead letters are counted
// on the dead-letter subscription, each listed with its expiry. With HOOKPIPE_UNHANDLED=dead-letter, an event no
// handler takes is counted as dead-lettered too.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import { Stats } from '../ops/src/stats-view.ts';
import { defineHandler } from '../processor/src/handlers.ts';
import { PermanentError } from '../shared/src/errors.ts';
import { entryFromFirestore, type LedgerEntry } from '../shared/src/ledger-entry.ts';
import { testFirestore } from './support/firestore.ts';
import { startPipeline } from './support/pipeline.ts';
import type { stripeWebhook } from './support/stripe.ts';
import { waitFor } from './support/wait.ts';

const run = promisify(execFile);
const doomed = new Set<string>();
const payments = defineHandler({
  name: 'payments',
  source: 'stripe',
  eventTypes: ['payment_intent.*'],
  schema: z.looseObject({ id: z.string() }),
  handle(event) {
    if (doomed.has(event.deliveryId)) throw new PermanentError('this payment cannot be recorded');
  },
});

let pipeline: Awaited<ReturnType<typeof startPipeline>>;
let firestore: Firestore;
let since: Date;
let until: Date;
let collection: string;
const ids = { processed: [] as string[], deadLettered: [] as string[], ignored: [] as string[] };

before(async () => {
  pipeline = await startPipeline([payments]);
  firestore = testFirestore();
  collection = pipeline.env.HOOKPIPE_LEDGER_COLLECTION!;
  since = new Date(Date.now() - 1000);
  const send = async (options: Parameters<typeof stripeWebhook>[1] = {}) => pipeline.sendStripe(options);
  ids.processed = await Promise.all(Array.from({ length: 4 }, () => send()));
  const doomedIds = ['evt_doomed_1', 'evt_doomed_2'];
  for (const id of doomedIds) doomed.add(id);
  ids.deadLettered = await Promise.all(doomedIds.map((id) => send({ id })));
  // No handler takes a charge: ignored, and recorded as such.
  ids.ignored = await Promise.all(Array.from({ length: 3 }, () => send({ type: 'charge.refunded' })));
  const settled = async () => {
    const entries = await Promise.all([...ids.processed, ...ids.deadLettered, ...ids.ignored].map((id) => pipeline.ledger(id)));
    const statuses = entries.map((e) => e?.status);
    return (
      statuses.filter((s) => s === 'processed').length === 4 &&
      statuses.filter((s) => s === 'dead-lettered').length === 2 &&
      statuses.filter((s) => s === 'ignored').length === 3
    );
  };
  await waitFor('the mix settled in the ledger', settled, 30_000);
  // A provider's resend of a processed event: a duplicate, which is not a new event.
  const resent = ids.processed[0]!;
  await send({ id: resent });
  await waitFor(
    'the resend answered as a duplicate',
    () => pipeline.logs.entries.some((e) => e.outcome === 'duplicate' && e.deliveryId === resent),
    30_000,
  );
  await pipeline.deadLetters.waitForCount(2, 30_000);
  until = new Date(Date.now() + 1);
});

after(async () => {
  await pipeline.stop();
  await firestore.terminate();
});

/** `hookpipe stats`, spawned in an empty folder with the pipeline's environment; its output. */
async function hookpipeStats(args: string[]): Promise<string> {
  const cwd = mkdtempSync(join(tmpdir(), 'hookpipe-stats-'));
  const { stdout } = await run(process.execPath, [resolve('cli/src/main.ts'), 'stats', ...args], {
    cwd,
    env: { ...pipeline.env, METADATA_SERVER_DETECTION: 'none', LOG_LEVEL: 'warn' },
    timeout: 60_000,
  });
  return stdout;
}

const cliStats = async (args: string[]): Promise<Stats> => Stats.parse(JSON.parse(await hookpipeStats(['--json', ...args])));

async function apiStats(query: string, of = pipeline): Promise<Stats> {
  const origin = `http://127.0.0.1:${of.processor.port}`;
  const response = await fetch(`${origin}/admin/api/stats?${query}`, {
    headers: { 'sec-fetch-site': 'same-origin', referer: `${origin}/admin` },
  });
  assert.equal(response.status, 200, await response.clone().text());
  return Stats.parse(await response.json());
}

/** Every ledger document, read one by one: what the aggregation queries must agree with. */
async function ledgerDocuments(): Promise<LedgerEntry[]> {
  const snapshot = await firestore.collection(collection).get();
  return snapshot.docs.map((doc) => entryFromFirestore(doc.data()));
}

/** The numbers that do not move with the time they are read at. */
const steady = (stats: Stats) => ({ ...stats, deadLetters: { ...stats.deadLetters, oldestAgeSeconds: undefined } });

test('hookpipe stats --json and the admin API give the same numbers, equal to the mix and to the ledger', async () => {
  const window = ['--since', since.toISOString(), '--until', until.toISOString()];
  const [cli, api] = await Promise.all([
    cliStats(window),
    apiStats(`since=${encodeURIComponent(since.toISOString())}&until=${encodeURIComponent(until.toISOString())}`),
  ]);
  assert.deepEqual(steady(api), steady(cli));

  const mix = { processed: 4, 'dead-lettered': 2, ignored: 3 };
  assert.deepEqual(cli.totals, { events: 9, byStatus: mix }, 'the duplicate is not an event');
  assert.deepEqual(cli.sources, [{ source: 'stripe', events: 9, byStatus: mix }]);

  const documents = await ledgerDocuments();
  const direct: Record<string, number> = {};
  for (const doc of documents) direct[doc.status] = (direct[doc.status] ?? 0) + 1;
  assert.deepEqual(cli.totals.byStatus, direct);
  for (const [status, series] of Object.entries(cli.series.byStatus)) {
    assert.equal(
      series!.reduce((a, b) => a + b, 0),
      direct[status],
      `the buckets of ${status} add up to its total`,
    );
  }
  const latencies = documents.filter((d) => d.status === 'processed').map((d) => d.processedAt!.getTime() - d.receivedAt!.getTime());
  const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
  assert.equal(cli.slowest.length, 1);
  assert.equal(cli.slowest[0]!.processed, 4);
  assert.ok(Math.abs(cli.slowest[0]!.meanLatencyMs - mean) <= 1, `mean ${cli.slowest[0]!.meanLatencyMs} against ${mean} counted by hand`);

  const text = await hookpipeStats(window);
  assert.match(text, /^9 event\(s\) from /);
  assert.match(text, /\nsource +events +processed +dead-lettered +ignored\nall +9 +4 +2 +3\nstripe +9 +4 +2 +3\n/);
  assert.match(text, /\ndead letters waiting: 2\n/);

  const listed = await pipeline.ops.deadLetters.list({});
  assert.equal(cli.deadLetters.depth, 2);
  assert.equal(cli.deadLetters.atLeast, false);
  const oldest = listed.items.map((i) => i.publishedAt).sort()[0]!;
  assert.equal(cli.deadLetters.oldestPublishTime, oldest);
  assert.equal(
    cli.deadLetters.oldestExpiresAt,
    new Date(Date.parse(oldest) + 7 * 86_400_000).toISOString(),
    'the subscription keeps 7 days',
  );
  for (const item of listed.items) {
    assert.equal(item.expiresAt, new Date(Date.parse(item.publishedAt) + 7 * 86_400_000).toISOString(), 'each listed with its expiry');
  }
});

test('stats of one source, and of a window before anything arrived', async () => {
  const none = await cliStats(['--since', new Date(since.getTime() - 3_600_000).toISOString(), '--until', since.toISOString()]);
  assert.deepEqual(none.totals, { events: 0, byStatus: {} });
  const github = await apiStats(`source=github&since=${encodeURIComponent(since.toISOString())}`);
  assert.deepEqual({ totals: github.totals, depth: github.deadLetters.depth }, { totals: { events: 0, byStatus: {} }, depth: 0 });
});

test('with HOOKPIPE_UNHANDLED=dead-letter an event no handler takes is in the ledger as dead-lettered, so the stats count it', async () => {
  const strict = await startPipeline([payments], { env: { HOOKPIPE_UNHANDLED: 'dead-letter' } });
  try {
    const from = new Date(Date.now() - 1000);
    const id = await strict.sendStripe({ type: 'charge.refunded' });
    await waitFor('the unhandled event recorded', async () => (await strict.ledger(id))?.status === 'dead-lettered', 30_000);
    await strict.deadLetters.waitForCount(1, 30_000);
    const stats = await apiStats(`since=${encodeURIComponent(from.toISOString())}`, strict);
    assert.deepEqual(stats.totals, { events: 1, byStatus: { 'dead-lettered': 1 } });
    assert.equal(stats.deadLetters.depth, 1);
    assert.equal((await strict.ledger(id))?.lastError?.class, 'NoHandler');
  } finally {
    await strict.stop();
  }
});
