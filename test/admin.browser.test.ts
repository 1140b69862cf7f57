// The admin page in a real browser (Debian's Chromium driven by playwright-core): load it, filter, replay one dead
// letter, and see that event processed on the Events tab; and the same page under an attacker's rebound hostname,
// refused by the admin API.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { z } from 'zod';
import { defineHandler } from '../processor/src/handlers.ts';
import { PermanentError } from '../shared/src/errors.ts';
import { startPipeline } from './support/pipeline.ts';
import { waitFor } from './support/wait.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
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
  await page.waitForSelector(`#dead-rows tr[data-delivery-id="${failing}"]`);
  assert.equal(await page.locator('#dead-rows tr').count(), 2);

  await page.fill('#dead-filter input[name=source]', 'github');
  await page.click('#dead-filter button[type=submit]');
  await page.waitForFunction('document.querySelectorAll("#dead-rows tr").length === 0');
  await page.fill('#dead-filter input[name=source]', 'stripe');
  await page.click('#dead-filter button[type=submit]');
  await page.waitForSelector(`#dead-rows tr[data-delivery-id="${other}"]`);

  const row = page.locator(`#dead-rows tr[data-delivery-id="${failing}"]`);
  assert.match((await row.textContent()) ?? '', /PermanentError: the payments database rejected the write/);
  await row.getByRole('button', { name: 'View' }).click();
  await page.waitForSelector('#payload');
  assert.match((await page.locator('#payload').textContent()) ?? '', new RegExp(`"id": "${failing}"`));

  await row.getByRole('button', { name: 'Replay' }).click();
  await page.waitForFunction('/Replayed 1,/.test(document.querySelector("#message").textContent)');
  await page.waitForFunction(`!document.querySelector('#dead-rows tr[data-delivery-id="${failing}"]')`);
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
  await page.waitForFunction('/Could not list dead letters/.test(document.querySelector("#message").textContent)');
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
