// The admin API's error path, with the operations faked: a failure inside an operation is answered without its
// message (which is logged), a body that is not JSON is refused rather than read as "no filter", and the routes'
// first names still answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Ops } from '../../../ops/src/context.ts';
import { emptySummary, type RedriveOptions } from '../../../ops/src/dead-letter-queue.ts';
import { captureLogs } from '../../../test/support/log-capture.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { createAdminApp } from './api.ts';

const PAGE = 'http://127.0.0.1:8081';
const headers = (method: 'GET' | 'POST') => ({
  host: '127.0.0.1:8081',
  'sec-fetch-site': 'same-origin',
  ...(method === 'GET' ? { referer: `${PAGE}/admin` } : { origin: PAGE, 'x-hookpipe-admin': '1', 'content-type': 'application/json' }),
});

const summary = emptySummary(false);

function admin() {
  const logs = captureLogs('processor');
  const redrives: RedriveOptions[] = [];
  const ops = {
    config: { HOOKPIPE_MAX_REPLAYS: 5, HOOKPIPE_LEDGER_COLLECTION: 'ledger', HOOKPIPE_PUSH_SUBSCRIPTION: 's', projectId: 'p' },
    deadLetters: {
      list: () => Promise.reject(new Error('14 UNAVAILABLE: projects/secret-project/subscriptions/dlq is unreachable')),
      redrive: (options: RedriveOptions) => {
        redrives.push(options);
        return Promise.resolve(summary);
      },
    },
  } as unknown as Ops;
  return { app: createAdminApp(ops, logs.logger), logs, redrives };
}

test('a failure inside an operation is answered 500 without its message, which goes to the log', async () => {
  const { app, logs } = admin();
  const response = await app.request('/api/dead-letters', { headers: headers('GET') });
  assert.equal(response.status, 500);
  assert.deepEqual(await response.json(), { error: { code: 'internal', message: 'internal error' } });
  const logged = logs.entries.find((e) => e.message === 'admin call failed');
  assert.match(String((logged?.error as { message?: string })?.message), /secret-project/);
  assert.equal(logged?.path, '/api/dead-letters');
});

test('a body that is not JSON is a 400, and nothing is redriven (it is not read as "no filter")', async () => {
  const { app, redrives } = admin();
  const response = await app.request('/api/dead-letters/redrive', { method: 'POST', headers: headers('POST'), body: '{"filter":' });
  assert.equal(response.status, 400);
  assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'invalid_json');
  assert.equal(redrives.length, 0);
});

test('a bad field is a 400 naming it, checked by the schema the CLI uses for its flags', async () => {
  const { app, redrives } = admin();
  const response = await app.request('/api/dead-letters/redrive', {
    method: 'POST',
    headers: headers('POST'),
    body: JSON.stringify({ rate: -1 }),
  });
  assert.equal(response.status, 400);
  assert.match(((await response.json()) as { error: { message: string } }).error.message, /^rate: Too small/);
  assert.equal(redrives.length, 0);
});

test('dead-letters/redrive and its first name, dead-letters/replay, both redrive', async () => {
  const { app, redrives } = admin();
  for (const path of ['/api/dead-letters/redrive', '/api/dead-letters/replay']) {
    const response = await app.request(path, { method: 'POST', headers: headers('POST'), body: JSON.stringify({ dryRun: true }) });
    assert.equal(response.status, 200, path);
  }
  assert.deepEqual(
    redrives.map((r) => r.dryRun),
    [true, true],
  );
});

test('GET stats: a bad query is a 400 naming the field, and nothing is counted', async () => {
  const { app } = admin();
  for (const [query, message] of [
    ['since=yesterday', /^since: /],
    ['since=2026-11-25T11:00:00Z&until=2026-11-25T10:00:00Z', /^since: must be before until$/],
    ['since=2026-01-01T00:00:00Z&until=2026-11-25T10:00:00Z', /^since: the window must be at most 31 days/],
  ] as const) {
    const response = await app.request(`/api/stats?${query}`, { headers: headers('GET') });
    assert.equal(response.status, 400, query);
    assert.match(((await response.json()) as { error: { message: string } }).error.message, message);
  }
});

/** An admin API whose Firestore counting and dead-letter scans wait until `release` (the counting then fails). */
function busyAdmin(statsDeadlineMs?: number) {
  const logs = captureLogs('processor');
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const calls = { transactions: 0, lists: 0, surveys: 0 };
  const ops = {
    config: { HOOKPIPE_MAX_REPLAYS: 5, HOOKPIPE_LEDGER_COLLECTION: 'ledger', HOOKPIPE_PUSH_SUBSCRIPTION: 's', projectId: 'p' },
    firestore: {
      runTransaction: async () => {
        calls.transactions += 1;
        await released;
        throw new Error('counting stopped by the test');
      },
    },
    deadLetters: {
      list: async () => {
        calls.lists += 1;
        await released;
        return { items: [], scanned: 0, atLeast: false };
      },
      survey: async () => {
        calls.surveys += 1;
        return { depth: 0, atLeast: false };
      },
    },
  } as unknown as Ops;
  return { app: createAdminApp(ops, logs.logger, undefined, { statsDeadlineMs }), calls, release };
}

const errorOf = async (response: Response) => ((await response.json()) as { error: { code: string; message: string } }).error;

test('GET stats: one computation at a time per instance; another asked meanwhile is a 503 at once, and counts nothing', async () => {
  const { app, calls, release } = busyAdmin();
  const first = app.request('/api/stats', { headers: headers('GET') });
  await waitFor('the first computation to count', () => calls.transactions === 1);
  const second = app.request('/api/stats', { headers: headers('GET') });
  // Without the limit the second would count too: let both end rather than hang.
  void waitFor('a second computation', () => calls.transactions === 2, 2_000).then(release, () => undefined);
  const refused = await second;
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), '5');
  assert.match((await errorOf(refused)).message, /^the stats are being counted on this instance already/);
  assert.equal(calls.transactions, 1);
  release();
  assert.equal((await first).status, 500);
  // The slot is free again.
  assert.equal((await app.request('/api/stats', { headers: headers('GET') })).status, 500);
  assert.equal(calls.transactions, 2);
});

test('GET stats: a busy dead-letter slot is a 503 before anything is counted', async () => {
  const { app, calls, release } = busyAdmin();
  // One scan under way and two waiting: the most the admin API holds.
  const scans = [1, 2, 3].map(() => app.request('/api/dead-letters', { headers: headers('GET') }));
  await waitFor('the first scan', () => calls.lists === 1);
  const response = await app.request('/api/stats', { headers: headers('GET') });
  assert.equal(response.status, 503);
  assert.match((await errorOf(response)).message, /^other dead-letter operations are running on this instance/);
  assert.deepEqual({ transactions: calls.transactions, surveys: calls.surveys }, { transactions: 0, surveys: 0 });
  release();
  for (const scan of scans) assert.equal((await scan).status, 200);
});

test('GET stats: past the deadline the answer is a 503 that says to narrow the window', async () => {
  const { app, release } = busyAdmin(50);
  const response = await app.request('/api/stats', { headers: headers('GET') });
  release();
  assert.equal(response.status, 503);
  assert.match((await errorOf(response)).message, /could not be counted within 0 s: narrow the window/);
});
