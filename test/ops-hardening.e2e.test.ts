// Operations under large dead letters, failures and hostile callers, against the emulators: a listing holds a bounded
// page and stops pulling once it is full; a pull larger than the bound is refused before it is read; a replay keeps
// ordering keys and counts "republished but not acked" apart; a force window exists only for a seek that succeeded,
// per request, with an expiry; the admin API refuses what is not the admin page on localhost and names its caller.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { z } from 'zod';
import { type Ops, openOps, readOpsConfig } from '../ops/src/context.ts';
import { DeadLetterQueue, type RedriveSummary } from '../ops/src/dead-letter-queue.ts';
import { FORCE_WINDOWS_COLLECTION, forceReplayReader, windowFromFirestore } from '../ops/src/force-windows.ts';
import type { ScanLimits } from '../ops/src/scan-limits.ts';
import { PENDING_WINDOW_MS, seekSubscription } from '../ops/src/seek.ts';
import { createAdminApp } from '../processor/src/admin/api.ts';
import { defineHandler } from '../processor/src/handlers.ts';
import { openTopic } from '../shared/src/pubsub.ts';
import type { Topology } from '../shared/src/topology.ts';
import { testFirestore, uniqueCollection } from './support/firestore.ts';
import { captureLogs } from './support/log-capture.ts';
import { startPipeline } from './support/pipeline.ts';
import { isolatedTopology, tap, testPubSub } from './support/pubsub.ts';

const KiB = 1024;
let pubsub: PubSub;
let firestore: Firestore;
before(() => {
  pubsub = testPubSub();
  firestore = testFirestore();
});
after(async () => {
  await pubsub.close();
  await firestore.terminate();
});

/** A dead-letter topic and its operators' subscription, of its own; no push subscription. */
const deadLetterTopology = () => isolatedTopology(pubsub, { messageOrdering: false });

interface DeadLetterOptions {
  bytes?: number;
  orderingKey?: string;
  source?: string;
}

/** Publishes dead letters as the processor writes them, in order; their delivery ids are returned. */
async function publishDeadLetters(topology: Topology, count: number, options: DeadLetterOptions = {}) {
  const topic = pubsub.topic(topology.deadLetterTopic, { messageOrdering: true });
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const deliveryId = `evt_${randomBytes(6).toString('hex')}`;
    ids.push(deliveryId);
    await topic.publishMessage({
      data: Buffer.alloc(options.bytes ?? 64, 'x'),
      ...(options.orderingKey ? { orderingKey: options.orderingKey } : {}),
      attributes: {
        source: options.source ?? 'stripe',
        provider: 'stripe',
        deliveryId,
        eventType: 'payment_intent.succeeded',
        receivedAt: new Date(Date.UTC(2026, 10, 24, 10, 0, i)).toISOString(),
        deadLetterReason: 'permanent',
        errorClass: 'PermanentError',
        errorMessage: 'the payments database rejected the write',
        errorAttempt: '1',
        failedAt: new Date().toISOString(),
      },
    });
  }
  await topic.flush();
  return ids;
}

const counts = ({ replayed, ackFailed, failed }: RedriveSummary) => ({ replayed, ackFailed, failed });

function opsConfig(topology: Topology, env: NodeJS.ProcessEnv = {}) {
  const names = {
    HOOKPIPE_TOPIC: topology.topic,
    HOOKPIPE_DEAD_LETTER_SUBSCRIPTION: topology.deadLetterSubscription,
    HOOKPIPE_PUSH_SUBSCRIPTION: topology.pushSubscription,
  };
  return readOpsConfig({ ...names, GOOGLE_CLOUD_PROJECT: 'hookpipe-local', ...env });
}

function queue(topology: Topology, limits: Partial<ScanLimits>) {
  const logs = captureLogs('ops');
  const republisher = openTopic(pubsub, topology.topic, {
    timeoutMs: 10_000,
    batchMaxMessages: 100,
    batchMaxMilliseconds: 5,
    batchMaxBytes: 1024 * KiB,
    messageOrdering: true,
  });
  const dlq = new DeadLetterQueue(pubsub, 'hookpipe-local', topology.deadLetterSubscription, republisher, { logger: logs.logger, limits });
  return { dlq, logs };
}

test('a listing keeps at most its page of large dead letters, and stops pulling once the page is full', async () => {
  const topology = await deadLetterTopology();
  await publishDeadLetters(topology, 12, { bytes: 300 * KiB });
  const { dlq } = queue(topology, { pullBytes: 1024 * KiB, pageBytes: 1024 * KiB });
  try {
    const page = await dlq.list({}, { showBody: true });
    assert.equal(page.matched, 12, 'every dead letter was looked at (the CLI counts them all)');
    assert.ok(page.items.length >= 1 && page.items.length <= 3, `${page.items.length} bodies of 300 KiB kept on a 1 MiB page`);
    assert.equal(page.more, true);

    const firstTwo = await dlq.list({}, { limit: 2, stopWhenFull: true });
    assert.equal(firstTwo.items.length, 2);
    assert.ok(firstTwo.scanned < 12, `stopped after ${firstTwo.scanned} of 12`);

    assert.equal((await dlq.list({})).matched, 12, 'nothing was consumed');
  } finally {
    await dlq.close();
  }
});

test('a pull whose response would pass the bound is refused by gRPC unread, and the listing says some are hidden', async () => {
  const topology = await deadLetterTopology();
  // Small first, so the scan grows its pulls; then four at 400 KiB arrive in one pull of 1.6 MB against 1 MiB.
  await publishDeadLetters(topology, 1);
  await publishDeadLetters(topology, 4, { bytes: 400 * KiB });
  const { dlq, logs } = queue(topology, { pullBytes: 1024 * KiB });
  try {
    const page = await dlq.list({});
    assert.ok(page.oversizedPulls >= 1);
    assert.equal(page.more, true);
    assert.ok(page.matched < 5, 'what the refused pull held stays hidden until its lease lapses');
    assert.ok(logs.entries.some((e) => e.message?.startsWith('a dead-letter pull was larger than the memory bound')));
  } finally {
    await dlq.close();
  }
});

test('a replay of large dead letters goes batch by batch under the bound, every one republished once', async () => {
  const topology = await deadLetterTopology();
  const ids = await publishDeadLetters(topology, 10, { bytes: 300 * KiB });
  const events = await tap(pubsub, topology.topic);
  const { dlq } = queue(topology, { pullBytes: 1024 * KiB });
  try {
    const summary = await dlq.redrive({ filter: {}, maxReplays: 5 });
    assert.deepEqual(counts(summary), { replayed: 10, ackFailed: 0, failed: 0 });
    const received = await events.waitForCount(10, 20_000);
    assert.deepEqual(new Set(received.map((m) => m.attributes.deliveryId)), new Set(ids));
    assert.equal((await dlq.list({})).matched, 0);
  } finally {
    await events.close();
    await dlq.close();
  }
});

test('a replayed dead letter keeps its ordering key, and events of one key go back in the order they came', async () => {
  const topology = await deadLetterTopology();
  const ids = await publishDeadLetters(topology, 5, { orderingKey: 'pi_123' });
  const events = await tap(pubsub, topology.topic);
  const ops = openOps(opsConfig(topology), pubsub, firestore, captureLogs('ops').logger);
  try {
    assert.equal((await ops.deadLetters.redrive({ filter: {}, maxReplays: 5 })).replayed, 5);
    const received = await events.waitForCount(5, 20_000);
    assert.deepEqual(
      received.map((m) => m.orderingKey),
      Array(5).fill('pi_123'),
    );
    assert.deepEqual(
      received.map((m) => m.attributes.deliveryId),
      ids,
    );
  } finally {
    await events.close();
    await ops.close();
  }
});

test('"republished but not acked" is counted apart from "failed", each with its reason, and both stay dead letters', async () => {
  const topology = await deadLetterTopology();
  const [crashed] = await publishDeadLetters(topology, 1, { source: 'stripe' });
  const [refused] = await publishDeadLetters(topology, 1, { source: 'github' });
  const { dlq } = queue(topology, {});
  const broken = new DeadLetterQueue(
    pubsub,
    'hookpipe-local',
    topology.deadLetterSubscription,
    {
      publishMessage: () => Promise.reject(new Error('PERMISSION_DENIED: cannot publish')),
      resumePublishing: () => {},
    },
    { logger: captureLogs('ops').logger },
  );
  try {
    const afterPublish = await dlq.redrive({
      filter: { source: 'stripe' },
      maxReplays: 5,
      beforeAck: () => {
        throw new Error('simulated crash after the publish, before the ack');
      },
    });
    assert.deepEqual(counts(afterPublish), { replayed: 0, ackFailed: 1, failed: 0 });
    assert.deepEqual(
      afterPublish.failures.map((f) => [f.deliveryId, f.stage]),
      [[crashed, 'ack']],
    );

    const notSent = await broken.redrive({ filter: { source: 'github' }, maxReplays: 5 });
    assert.deepEqual(counts(notSent), { replayed: 0, ackFailed: 0, failed: 1 });
    const reasons = notSent.failures.map((f) => [f.deliveryId, f.stage, f.error.message]);
    assert.deepEqual(reasons, [[refused, 'republish', 'PERMISSION_DENIED: cannot publish']]);

    assert.deepEqual(new Set((await dlq.list({})).items.map((i) => i.deliveryId)), new Set([crashed, refused]));
  } finally {
    await dlq.close();
    await broken.close();
  }
});

/** A push subscription retaining acked messages 600 s, pushing nowhere (nothing is published to it). */
async function seekableTopology(messageOrdering: boolean): Promise<Topology> {
  return isolatedTopology(pubsub, { messageOrdering, retentionSeconds: 600 }, 'http://127.0.0.1:9/pubsub/push');
}

async function windowsOf(collection: string) {
  return (await firestore.collection(collection).get()).docs.map((doc) => windowFromFirestore(doc.data())!);
}

test('a forced seek that fails leaves no force window: a plain seek afterwards re-runs nothing', async () => {
  const runs = new Map<string, number>();
  const handler = defineHandler({
    name: 'payments',
    schema: z.looseObject({ id: z.string() }),
    handle: (event) => void runs.set(event.deliveryId, (runs.get(event.deliveryId) ?? 0) + 1),
  });
  // The emulator cannot seek a subscription with message ordering (real Pub/Sub can), so this one has none.
  const pipeline = await startPipeline([handler], { topology: { messageOrdering: false } });
  try {
    // The emulator seeks to whole seconds: the event comes after a second boundary.
    const since = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
    const id = await pipeline.sendStripe();
    await pipeline.logs.waitForOutcome(id, 'processed');
    const subscription = pipeline.topology.pushSubscription;

    // Pub/Sub refuses the seek, after looking at what the processors would see while it ran.
    const windowsNow = async () => (await windowsOf(FORCE_WINDOWS_COLLECTION)).filter((w) => w.subscription === subscription);
    let duringSeek: Awaited<ReturnType<typeof windowsNow>> = [];
    const refusingSeeks = {
      isEmulator: true,
      subscription: (name: string) =>
        Object.assign(pubsub.subscription(name), {
          seek: async () => {
            duringSeek = await windowsNow();
            throw new Error('14 UNAVAILABLE: the seek failed');
          },
        }),
    } as unknown as PubSub;
    await assert.rejects(seekSubscription({ pubsub: refusingSeeks, firestore, subscription, since, force: true }), /the seek failed/);
    // While the seek ran, its redeliveries would have found the window, pending, with a short life.
    assert.deepEqual(
      duringSeek.map((w) => w.state),
      ['pending'],
    );
    assert.equal(duringSeek[0]!.expireAt.getTime() - Date.now() <= PENDING_WINDOW_MS, true);
    assert.deepEqual(await windowsNow(), [], 'removed once the seek failed');

    // A plain seek later: the event comes back a duplicate, and its handler does not run again.
    await seekSubscription({ pubsub, firestore, subscription, since, force: false });
    await pipeline.logs.waitForOutcome(id, 'duplicate');
    assert.equal(runs.get(id), 1);
  } finally {
    await pipeline.stop();
  }
});

test('a forced seek keeps one window per request, active until the retention has passed, without sleeping', async () => {
  const topology = await seekableTopology(false);
  const collection = uniqueCollection('force');
  const since = new Date(Date.now() - 60_000);
  const started = Date.now();
  const subscription = topology.pushSubscription;
  const first = await seekSubscription({ pubsub, firestore, subscription, since, force: true, collection, requestedBy: 'op@example.com' });
  assert.ok(Date.now() - started < 2000, `answered in ${Date.now() - started} ms: nothing waits for processors' caches`);
  const second = await seekSubscription({ pubsub, firestore, subscription, since: new Date(Date.now() - 30_000), force: true, collection });
  assert.notEqual(first.window!.requestId, second.window!.requestId);

  const windows = await windowsOf(collection);
  assert.deepEqual(
    windows.map((w) => [w.requestId, w.state, w.subscription]).sort(),
    [
      [first.window!.requestId, 'active', topology.pushSubscription],
      [second.window!.requestId, 'active', topology.pushSubscription],
    ].sort(),
  );
  for (const window of windows) {
    assert.equal(window.expireAt.getTime() - window.createdAt.getTime(), 600_000, 'creation + the subscription retention');
  }
  assert.equal(windows.find((w) => w.requestId === first.window!.requestId)!.requestedBy, 'op@example.com');

  const read = forceReplayReader(firestore, { collection });
  assert.deepEqual(await read(new Date(Date.now() - 20_000), subscription), second.window!.createdAt, 'the later request wins');
  assert.deepEqual(await read(new Date(Date.now() - 45_000), subscription), first.window!.createdAt, 'only the first covers it');
  assert.equal(await read(new Date(Date.now() - 20_000), 'projects/hookpipe-local/subscriptions/another'), undefined);
  const later = forceReplayReader(firestore, { collection, clock: () => new Date(Date.now() + 601_000) });
  assert.equal(await later(new Date(Date.now() - 20_000), subscription), undefined, 'expired');

  await seekSubscription({ pubsub, firestore, subscription, since, force: false, collection });
  assert.equal((await windowsOf(collection)).length, 2, 'a plain seek writes nothing');
});

// ---- The admin API, as a browser's requests reach it ----

const PAGE = 'http://127.0.0.1:8081';
const fromPage = (method: 'GET' | 'POST', extra: Record<string, string> = {}) => ({
  host: '127.0.0.1:8081',
  'sec-fetch-site': 'same-origin',
  ...(method === 'GET' ? { referer: `${PAGE}/admin` } : { origin: PAGE, 'x-hookpipe-admin': '1', 'content-type': 'application/json' }),
  ...extra,
});

async function adminSetup(env: NodeJS.ProcessEnv = {}) {
  const topology = await seekableTopology(false);
  const logs = captureLogs('processor');
  const ops: Ops = openOps(opsConfig(topology, env), pubsub, firestore, logs.logger);
  return { topology, ops, logs, app: createAdminApp(ops, logs.logger) };
}

test('rebinding-style and cross-site calls are refused 403 and change nothing; the page own calls go through', async () => {
  const { topology, ops, app } = await adminSetup();
  const [id] = await publishDeadLetters(topology, 1);
  const replay = (headers: Record<string, string>) =>
    app.request('/api/dead-letters/replay', { method: 'POST', headers, body: JSON.stringify({ filter: {} }) });
  try {
    const rebound = { host: 'attacker.example:8081', origin: 'http://attacker.example:8081' };
    assert.equal((await replay(fromPage('POST', rebound))).status, 403, 'a page rebound to 127.0.0.1');
    const crossSite = { 'sec-fetch-site': 'cross-site', origin: 'https://attacker.example' };
    assert.equal((await replay(fromPage('POST', crossSite))).status, 403, 'cross-site');
    const { 'sec-fetch-site': _, ...noFetchMetadata } = fromPage('POST');
    assert.equal((await replay(noFetchMetadata)).status, 403, 'no Sec-Fetch-Site (not a browser page)');
    const reboundRead = fromPage('GET', { host: 'attacker.example:8081', referer: 'http://attacker.example:8081/admin' });
    assert.equal((await app.request('/api/dead-letters', { headers: reboundRead })).status, 403);
    const seek = await app.request('/api/replay-since', {
      method: 'POST',
      headers: fromPage('POST', rebound),
      body: JSON.stringify({ since: new Date(Date.now() - 60_000).toISOString(), force: true }),
    });
    assert.equal(seek.status, 403);
    assert.deepEqual(
      (await ops.deadLetters.list({})).items.map((i) => i.deliveryId),
      [id],
      'nothing replayed',
    );

    const listed = await app.request('/api/dead-letters', { headers: fromPage('GET') });
    assert.equal(listed.status, 200);
    assert.deepEqual(
      ((await listed.json()) as { items: Array<{ deliveryId: string }> }).items.map((i) => i.deliveryId),
      [id],
    );
  } finally {
    await ops.close();
  }
});

test('every change is logged with the caller Cloud Run verified, never with its token', async () => {
  const { topology, ops, app, logs } = await adminSetup({ K_SERVICE: 'hookpipe-processor' });
  await publishDeadLetters(topology, 1);
  const claims = Buffer.from(JSON.stringify({ email: 'operator@example.com', aud: 'x' })).toString('base64url');
  const token = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${claims}.SIGNATURE_REMOVED_BY_GOOGLE`;
  try {
    const response = await app.request('/api/dead-letters/replay', {
      method: 'POST',
      headers: fromPage('POST', { 'x-serverless-authorization': `Bearer ${token}` }),
      body: JSON.stringify({ filter: { source: 'nothing-matches' } }),
    });
    assert.equal(response.status, 200);
    const line = logs.entries.find((e) => e.message === 'dead letters redriven from the admin API');
    assert.equal(line?.caller, 'operator@example.com');
    const since = new Date(Date.now() - 1000).toISOString();
    const body = JSON.stringify({ since });
    const anonymous = await app.request('/api/replay-since', { method: 'POST', headers: fromPage('POST'), body });
    assert.equal(anonymous.status, 200);
    assert.equal(logs.entries.find((e) => e.message === 'subscription sought back from the admin API')?.caller, 'unknown');
    assert.ok(!JSON.stringify(logs.entries).includes(claims), 'the token is never logged');
  } finally {
    await ops.close();
  }
});

test('a replay that would outlive the request is refused with the CLI command, and nothing is replayed', async () => {
  const { topology, ops, app } = await adminSetup();
  await publishDeadLetters(topology, 31);
  try {
    const response = await app.request('/api/dead-letters/replay', {
      method: 'POST',
      headers: fromPage('POST'),
      body: JSON.stringify({ filter: { source: 'stripe' }, rate: 1 }),
    });
    assert.equal(response.status, 400);
    const { error } = (await response.json()) as { error: { message: string } };
    assert.match(error.message, /31 dead letters/);
    assert.match(error.message, /npx hookpipe dlq redrive --source stripe --rate 1/);
    assert.equal((await ops.deadLetters.list({})).matched, 31);
  } finally {
    await ops.close();
  }
});
