// The admin page in a real browser (Debian's Chromium driven by playwright-core), as the processor serves it: the
// bundle scripts/build-admin.ts wrote (npm test builds it first), under its Content-Security-Policy. The Overview
// shows what the ledger holds, counted here straight from Firestore, for a mix of outcomes driven through the
// pipeline, and its window and source filters change the numbers; an operator lists, filters, reads and replays dead
// letters and sees the event processed on the Events tab; and the same page under an attacker's rebound hostname is
// refused by the admin API. With HOOKPIPE_SCREENSHOT=<path>, the Overview is also saved there (docs/admin-overview.png).
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import type { CollectionReference, Timestamp } from '@google-cloud/firestore';
import { type Browser, chromium, type Page } from 'playwright-core';
import { z } from 'zod';
import { defineHandler } from '../processor/src/handlers.ts';
import { PermanentError } from '../shared/src/errors.ts';
import { ledgerDocumentId } from '../shared/src/ledger-entry.ts';
import { startPipeline } from './support/pipeline.ts';
import { waitFor } from './support/wait.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The page runs under its Content-Security-Policy (no eval), which also binds Playwright's string predicates
// (waitForFunction): the tests wait on locators and read the page with page.evaluate (sent over CDP, not eval).
const REBOUND = 'rebound.test';
let broken = true;
const handler = defineHandler({
  name: 'payments',
  schema: z.looseObject({ id: z.string() }),
  handle() {
    if (broken) throw new PermanentError('the payments database rejected the write');
  },
});

let pipeline: Awaited<ReturnType<typeof startPipeline>>;
let browser: Browser;
before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  pipeline = await startPipeline([handler]);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // What DNS rebinding does: an attacker's hostname that resolves to this machine.
      `--host-resolver-rules=MAP ${REBOUND} 127.0.0.1`,
    ],
  });
});
after(async () => {
  await browser?.close();
  await pipeline?.stop();
});

test('an operator lists dead letters, filters, reads one, replays it, and sees it processed', async () => {
  const failing = await pipeline.sendStripe();
  const other = await pipeline.sendStripe();
  await waitFor('two dead letters', async () => (await pipeline.ops.deadLetters.list({})).items.length === 2, 30_000);
  broken = false;

  const page = await browser.newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => void pageErrors.push(error.message));
  await page.goto(`http://127.0.0.1:${pipeline.processor.port}/admin`);
  await page.click('#tab-dead');
  await page.waitForSelector(`#dead-rows tr[data-delivery-id="${failing}"]`);
  assert.match(
    (await page.locator(`#dead-rows tr[data-delivery-id="${failing}"] td.expires`).textContent()) ?? '',
    /\d/,
    'its expiry is shown',
  );
  assert.equal(await page.locator('#dead-rows tr').count(), 2);

  await page.fill('#dead-filter input[name=source]', 'github');
  await page.click('#dead-filter button[type=submit]');
  await waitFor('no row for github', async () => (await page.locator('#dead-rows tr').count()) === 0);
  await page.fill('#dead-filter input[name=source]', 'stripe');
  await page.click('#dead-filter button[type=submit]');
  await page.waitForSelector(`#dead-rows tr[data-delivery-id="${other}"]`);

  const row = page.locator(`#dead-rows tr[data-delivery-id="${failing}"]`);
  assert.match((await row.textContent()) ?? '', /PermanentError: the payments database rejected the write/);
  await row.getByRole('button', { name: 'View' }).click();
  await page.waitForSelector('#payload');
  assert.match((await page.locator('#payload').textContent()) ?? '', new RegExp(`"id": "${failing}"`));

  await row.getByRole('button', { name: 'Replay' }).click();
  await page.locator('#message', { hasText: /Replayed 1,/ }).waitFor();
  await page.locator(`#dead-rows tr[data-delivery-id="${failing}"]`).waitFor({ state: 'detached' });
  assert.equal(await page.locator('#dead-rows tr').count(), 1, 'only the replayed one left the dead letters');

  await page.click('#tab-events');
  const processedCell = `#event-rows tr[data-delivery-id="${failing}"] td.status-processed`;
  await waitFor(
    'the replayed event shown as processed',
    async () => {
      await page.click('#events-filter button[type=submit]');
      return (await page.locator(processedCell).count()) === 1;
    },
    20_000,
  );
  await page.screenshot({ path: join(tmpdir(), 'hookpipe-admin.png'), fullPage: true });
  assert.equal((await pipeline.ledger(failing))?.status, 'processed');
  assert.equal((await pipeline.ledger(other))?.status, 'dead-lettered');
  assert.deepEqual(pageErrors, []);
});

test('state-changing admin calls need the admin header, so another origin cannot replay through a proxy', async () => {
  const response = await fetch(`http://127.0.0.1:${pipeline.processor.port}/admin/api/dead-letters/replay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ filter: {} }),
  });
  assert.equal(response.status, 403);
  assert.equal((await pipeline.ops.deadLetters.list({})).items.length, 1);
});

test('the page under a hostname rebound to 127.0.0.1 is refused by the admin API: it can neither read nor replay', async () => {
  broken = true;
  const id = await pipeline.sendStripe();
  const listed = async () => (await pipeline.ops.deadLetters.list({})).items.map((i) => i.deliveryId);
  await waitFor(`${id} dead-lettered`, async () => (await listed()).includes(id), 30_000);
  broken = false;
  const before = (await pipeline.ops.deadLetters.list({})).items.map((i) => i.deliveryId).sort();

  const page = await browser.newPage();
  await page.goto(`http://${REBOUND}:${pipeline.processor.port}/admin`);
  await page.locator('#overview-message', { hasText: /Could not load the overview/ }).waitFor();
  await page.click('#tab-dead');
  await page.locator('#message', { hasText: /Could not list dead letters/ }).waitFor();
  assert.equal(await page.locator('#dead-rows tr').count(), 0);
  const status = await page.evaluate(async () => {
    const response = await fetch('/admin/api/dead-letters/replay', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hookpipe-admin': '1' },
      body: JSON.stringify({ filter: {} }),
    });
    return response.status;
  });
  assert.equal(status, 403);
  assert.deepEqual((await pipeline.ops.deadLetters.list({})).items.map((i) => i.deliveryId).sort(), before, 'nothing replayed');
});

// ---- The Overview

/** The local sources file's GitHub secret (config/sources.local.yaml), signed as GitHub does: hex HMAC-SHA256 of the body. */
const GITHUB_SECRET = 'local-github-secret';

async function sendGithub(ingressPort: number): Promise<string> {
  const id = randomUUID();
  const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
  const signature = `sha256=${createHmac('sha256', GITHUB_SECRET).update(body).digest('hex')}`;
  const headers = {
    'content-type': 'application/json',
    'x-github-event': 'ping',
    'x-github-delivery': id,
    'x-hub-signature-256': signature,
  };
  const response = await fetch(`http://127.0.0.1:${ingressPort}/webhooks/github`, { method: 'POST', headers, body });
  await response.arrayBuffer();
  if (response.status !== 202) throw new Error(`ingress answered ${response.status} to GitHub delivery ${id}`);
  return id;
}

/**
 * Events older than the last hour, written as the processor writes its ledger: what the window selector adds. A few
 * per 7 minutes from 70 minutes to 5 hours ago, in waves, mostly processed, over three sources.
 */
async function seedOlderEvents(collection: CollectionReference, now: number): Promise<void> {
  const sources = ['stripe', 'stripe', 'github', 'stripe', 'shopify', 'github'];
  const batch = collection.firestore.batch();
  let i = 0;
  for (let bucket = 0; bucket < 33; bucket++) {
    const perBucket = 2 + Math.round(2 + 2 * Math.sin(bucket / 3));
    for (let k = 0; k < perBucket; k++, i++) {
      const createdAt = new Date(now - (70 + bucket * 7) * 60_000 - k * 20_000);
      const source = sources[i % sources.length]!;
      const status = i % 13 === 4 ? 'dead-lettered' : i % 9 === 3 ? 'ignored' : i % 29 === 5 ? 'failed' : 'processed';
      const deliveryId = `seeded-${i}`;
      const latencyMs = 80 + ((i * 37) % 400) + (source === 'github' ? 900 : 0);
      batch.set(collection.doc(ledgerDocumentId(source, deliveryId)), {
        source,
        deliveryId,
        eventType: 'seeded',
        messageId: `m${i}`,
        status,
        attempts: 1,
        replayCount: 0,
        createdAt,
        updatedAt: createdAt,
        receivedAt: createdAt,
        ...(status === 'processed' ? { processedAt: new Date(createdAt.getTime() + latencyMs), latencyMs } : {}),
        expireAt: new Date(now + 30 * 86_400_000),
      });
    }
  }
  await batch.commit();
}

interface LedgerCount {
  events: number;
  byStatus: Record<string, number>;
}

/** The ledger's documents counted here, straight from Firestore: those created since `since`, of `source` if given. */
async function countLedger(collection: CollectionReference, since: number, source?: string): Promise<LedgerCount> {
  const counts: LedgerCount = { events: 0, byStatus: {} };
  for (const doc of (await collection.get()).docs) {
    const data = doc.data() as { status: string; source: string; createdAt: Timestamp };
    if (data.createdAt.toMillis() < since || (source !== undefined && data.source !== source)) continue;
    counts.events += 1;
    counts.byStatus[data.status] = (counts.byStatus[data.status] ?? 0) + 1;
  }
  return counts;
}

const STATUSES = ['processed', 'failed', 'dead-lettered', 'ignored', 'processing'];
/** What the Overview's cards say, as `events` and one entry per status. */
const shownTotals = async (page: Page) =>
  (await page.evaluate(
    `Object.fromEntries([...document.querySelectorAll('#totals .card')].map((card) => [card.dataset.status, card.querySelector('.value').textContent]))`,
  )) as Record<string, string>;
const expectedTotals = (count: LedgerCount) =>
  Object.fromEntries([['events', String(count.events)], ...STATUSES.map((status) => [status, String(count.byStatus[status] ?? 0)])]);

async function waitForTotals(page: Page, count: LedgerCount, what: string): Promise<void> {
  const expected = expectedTotals(count);
  let shown: Record<string, string> = {};
  const same = async () => {
    shown = await shownTotals(page);
    return isDeepStrictEqual(shown, expected);
  };
  await waitFor(`the Overview to show ${what}`, same, 20_000).catch((error: Error) => {
    throw new Error(`${error.message}: expected ${JSON.stringify(expected)}, shown ${JSON.stringify(shown)}`);
  });
}

test('the Overview shows the numbers the ledger holds, draws them, and its window and source filters change them', async () => {
  const payments = defineHandler({
    name: 'payments',
    source: 'stripe',
    eventTypes: ['payment_intent.*'],
    schema: z.looseObject({ data: z.object({ object: z.object({ amount: z.number() }) }) }),
    handle({ payload }) {
      if (payload.data.object.amount === 13) throw new PermanentError('amount 13 is refused by the bank');
    },
  });
  const pings = defineHandler({ name: 'github-pings', source: 'github', schema: z.looseObject({}), handle() {} });
  const overview = await startPipeline([payments, pings], { env: { HOOKPIPE_UNHANDLED: 'ignore' } });
  try {
    const ledger = overview.processor.firestore.collection(overview.env.HOOKPIPE_LEDGER_COLLECTION!);
    const now = Date.now();
    await seedOlderEvents(ledger, now);
    // The mix, through the ingress and the processor: stripe 3 processed, 2 dead-lettered, 2 ignored (no handler
    // takes customer.created); github 2 processed.
    const paid = (amount: number) => overview.sendStripe({ object: { id: `pi_${randomUUID()}`, amount } });
    const ids = await Promise.all([
      paid(100),
      paid(200),
      paid(300),
      paid(13),
      paid(13),
      overview.sendStripe({ type: 'customer.created', object: { id: 'cus_1' } }),
      overview.sendStripe({ type: 'customer.created', object: { id: 'cus_2' } }),
    ]);
    const githubIds = await Promise.all([sendGithub(overview.ingress.port), sendGithub(overview.ingress.port)]);
    const settled = ['processed', 'dead-lettered', 'ignored'];
    await waitFor(
      'the mix settled in the ledger, the dead letters in their subscription',
      async () => {
        const entries = await Promise.all([
          ...ids.map((id) => overview.ledger(id)),
          ...githubIds.map((id) => overview.ledger(id, 'github')),
        ]);
        if (!entries.every((entry) => entry !== undefined && settled.includes(entry.status))) return false;
        return (await overview.ops.deadLetters.list({})).items.length === 2;
      },
      45_000,
    );
    const lastHour = await countLedger(ledger, Date.now() - 3_600_000);
    assert.deepEqual(lastHour, { events: 9, byStatus: { processed: 5, 'dead-lettered': 2, ignored: 2 } }, 'the mix as driven');

    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => void problems.push(error.message));
    // A Content-Security-Policy violation is reported on the console.
    page.on('console', (message) => void (message.type() === 'error' && problems.push(message.text())));
    await page.goto(`http://127.0.0.1:${overview.processor.port}/admin`);
    assert.equal(await page.getAttribute('#tab-overview', 'aria-selected'), 'true', 'the Overview is the first tab');
    await waitForTotals(page, lastHour, 'the last hour');

    // The charts: uPlot's canvas, one series per outcome and per source the API sent (and the x series).
    const stats = (await page.evaluate(
      `fetch('api/stats?since=' + encodeURIComponent(new Date(Date.now() - 3600000).toISOString())).then((r) => r.json())`,
    )) as { series: { byStatus: Record<string, number[]>; bySource: Record<string, number[]> } };
    for (const [chart, series, least] of [
      ['#chart-status', stats.series.byStatus, ['processed', 'dead-lettered', 'ignored']],
      ['#chart-source', stats.series.bySource, ['stripe', 'github']],
    ] as const) {
      assert.equal(await page.locator(`${chart} canvas`).count(), 1, `${chart} drawn`);
      const labels = await page.locator(`${chart} .u-legend .u-series .u-label`).allTextContents();
      assert.equal(labels.length, Object.keys(series).length + 1, `${chart}: ${labels.join()}`);
      for (const label of least) assert.ok(labels.includes(label), `${chart} has a series for ${label}: ${labels.join()}`);
    }
    assert.equal((await page.locator('#dead-depth .value').textContent()) ?? '', '2');
    assert.notEqual((await page.locator('#dead-oldest .value').textContent()) ?? '', 'none');
    assert.match((await page.locator('#dead-oldest .note').textContent()) ?? '', /dropped by the subscription in \d+ d/);
    assert.doesNotMatch((await page.getAttribute('#dead-oldest', 'class')) ?? '', /expiring/, 'a fresh dead letter is not about to expire');
    const slowest = await page.locator('#slowest-rows tr').evaluateAll((rows) => rows.length);
    assert.ok(slowest >= 2, `the slowest sources listed (${slowest})`);

    // The window selector: six hours take in the older events.
    const sixHours = await countLedger(ledger, Date.now() - 6 * 3_600_000);
    assert.ok(sixHours.events > lastHour.events + 30);
    await page.selectOption('#overview-filter select[name=window]', '6h');
    await waitForTotals(page, sixHours, 'six hours');
    // The source filter: GitHub alone.
    await page.selectOption('#overview-filter select[name=source]', 'github');
    await waitForTotals(page, await countLedger(ledger, Date.now() - 6 * 3_600_000, 'github'), 'GitHub over six hours');
    const sourceLabels = await page.locator('#chart-source .u-legend .u-series .u-label').allTextContents();
    assert.deepEqual(sourceLabels.slice(1), ['github'], 'the source chart shows the chosen source alone');

    const screenshot = process.env.HOOKPIPE_SCREENSHOT;
    if (screenshot) {
      await page.selectOption('#overview-filter select[name=source]', '');
      await waitForTotals(page, sixHours, 'six hours, every source, for the screenshot');
      mkdirSync(dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
    }
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await overview.stop();
  }
});
