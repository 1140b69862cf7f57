// The ingress under hostile large bodies (issue 9, item 3), as its own process against the Pub/Sub emulator: more
// concurrent large unsigned bodies than its body budget holds are refused with 503 before they are read, their
// connections closed, while signed small webhooks keep getting 202 and reach the topic; the process stays up with its
// memory bounded, and the budget comes back once the strangers go.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { rssBytes } from './reliability/support.ts';
import { isolatedTopology, type Tap, tap, testPubSub } from './support/pubsub.ts';
import { type ServiceProcess, spawnService } from './support/services.ts';
import { STRIPE_SECRET, stripeWebhook } from './support/stripe.ts';
import { waitFor } from './support/wait.ts';

const BULK_SECRET = 'memory-e2e-github-secret';
const MiB = 2 ** 20;
// An 8 MiB budget with 16 requests of at most 64 KiB kept for small bodies: large bodies share 7 MiB, so three
// bodies of 2,000,000 bytes fit and the fourth does not.
const BUDGET = 8 * MiB;
const SMALL = 64 * 1024;
const CONCURRENCY = 16;
const LARGE = 2_000_000;
const ADMITTED = Math.floor((BUDGET - CONCURRENCY * SMALL) / LARGE);
const HOSTILE = 40;

const pubsub = testPubSub();
const dir = mkdtempSync(join(tmpdir(), 'hookpipe-memory-'));
let events: Tap;
let ingress: ServiceProcess;

before(async () => {
  const topology = await isolatedTopology(pubsub);
  events = await tap(pubsub, topology.topic);
  const sources = join(dir, 'sources.yaml');
  writeFileSync(
    sources,
    [
      'sources:',
      `  - { name: stripe, provider: stripe, secrets: [${STRIPE_SECRET}], maxBodyBytes: 512kb }`,
      `  - { name: bulk, provider: github, secrets: [${BULK_SECRET}], maxBodyBytes: 2mb }`,
      '',
    ].join('\n'),
  );
  ingress = await spawnService('ingress', {
    ...process.env,
    PORT: '0',
    LOG_LEVEL: 'info',
    HOOKPIPE_SOURCES: sources,
    HOOKPIPE_TOPIC: topology.topic,
    HOOKPIPE_MEMORY_LIMIT: '512Mi',
    HOOKPIPE_CONCURRENCY: String(CONCURRENCY),
    HOOKPIPE_SMALL_BODY_BYTES: String(SMALL),
    HOOKPIPE_BODY_BUDGET_BYTES: String(BUDGET),
    // The holders below keep their bodies open for the length of the test, not cut off by the request timeout.
    HOOKPIPE_REQUEST_TIMEOUT_MS: '120000',
  });
});

after(async () => {
  ingress?.child.kill('SIGTERM');
  await ingress?.exited;
  await events?.close();
  await pubsub.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Exchange {
  socket: Socket;
  /** The answer's status line and headers, once the server has answered. */
  head?: string;
  /** Whether the connection is closed: the test never closes a refused one itself, so the server did. */
  closed: boolean;
}

/** An unsigned POST that declares a large body and sends only its first kilobyte: what a slow hostile sender does. */
function hostilePost(port: number): Exchange {
  const socket = connect(port, '127.0.0.1');
  const exchange: Exchange = { socket, closed: false };
  socket.once('close', () => (exchange.closed = true));
  let received = '';
  socket.on('data', (data: Buffer) => {
    received += data.toString('latin1');
    const end = received.indexOf('\r\n\r\n');
    if (end >= 0) exchange.head ??= received.slice(0, end);
  });
  // A refused sender may see its connection reset: that is the point, and what it saw is asserted through `head`.
  socket.on('error', (error) => {
    exchange.head ??= `error ${error.message}`;
  });
  const head = ['POST /webhooks/bulk HTTP/1.1', 'Host: ingress', 'Content-Type: application/octet-stream', `Content-Length: ${LARGE}`];
  socket.write(`${head.join('\r\n')}\r\n\r\n`);
  socket.write(Buffer.alloc(1024, 'h'));
  return exchange;
}

function header(head: string, name: string): string | undefined {
  return new RegExp(`^${name}: *(.*)$`, 'im').exec(head)?.[1]?.trim();
}

/** A genuine large webhook, signed as GitHub signs. */
async function signedLarge(port: number): Promise<{ status: number; delivery: string }> {
  const body = Buffer.alloc(LARGE, 'b');
  const delivery = randomUUID();
  const response = await fetch(`http://127.0.0.1:${port}/webhooks/bulk`, {
    method: 'POST',
    headers: {
      'content-type': 'application/octet-stream',
      'x-github-event': 'push',
      'x-github-delivery': delivery,
      'x-hub-signature-256': `sha256=${createHmac('sha256', BULK_SECRET).update(body).digest('hex')}`,
    },
    body,
  });
  await response.arrayBuffer();
  return { status: response.status, delivery };
}

test('large unsigned bodies past the budget get 503 unread; signed small webhooks still get 202; memory stays bounded', async (t) => {
  const { port } = ingress;
  const warmup = await Promise.all(Array.from({ length: 5 }, () => stripeWebhook(port).status()));
  assert.deepEqual(warmup, [202, 202, 202, 202, 202]);
  await events.waitForCount(5);
  const baseline = await rssBytes(ingress.child.pid!);
  let peak = baseline;
  // A sample that fails means the process is gone, which the exit-code assertion below reports.
  const sampler = setInterval(
    () =>
      void rssBytes(ingress.child.pid!).then(
        (rss) => (peak = Math.max(peak, rss)),
        () => undefined,
      ),
    25,
  );

  try {
    // More strangers than the budget holds, each declaring 2,000,000 bytes and sending 1 KiB of them.
    const hostile = Array.from({ length: HOSTILE }, () => hostilePost(port));
    const refused = await waitFor(`${HOSTILE - ADMITTED} of ${HOSTILE} hostile posts answered`, () => {
      const answered = hostile.filter((exchange) => exchange.head !== undefined);
      return answered.length >= HOSTILE - ADMITTED && answered;
    });
    for (const { head } of refused) {
      assert.match(head!, /^HTTP\/1\.1 503 /, head);
      assert.equal(header(head!, 'retry-after'), '5');
      assert.equal(header(head!, 'connection'), 'close');
    }
    // Answered after 1 KiB of 2,000,000, and the server closed each connection rather than read on.
    await waitFor('the refused connections closed by the ingress', () => refused.every((exchange) => exchange.closed));
    const holders = hostile.filter((exchange) => exchange.head === undefined);
    assert.equal(holders.length, ADMITTED);
    // The admitted strangers send all but their last byte and hold it: their bodies sit in the ingress's memory.
    for (const holder of holders) holder.socket.write(Buffer.alloc(LARGE - 1024 - 1, 'h'));

    // Meanwhile: signed small webhooks, and a second wave of strangers.
    const small = Array.from({ length: 20 }, () => stripeWebhook(port));
    const wave = Array.from({ length: 20 }, () => hostilePost(port));
    const statuses = await Promise.all(small.map((webhook) => webhook.status()));
    assert.deepEqual(
      statuses,
      small.map(() => 202),
    );
    await waitFor('the second wave refused', () => wave.every((exchange) => exchange.head !== undefined));
    assert.ok(wave.every((exchange) => /^HTTP\/1\.1 503 /.test(exchange.head!)));
    const onTopic = await events.waitForCount(5 + small.length);
    assert.deepEqual(new Set(onTopic.slice(5).map((m) => m.attributes.deliveryId)), new Set(small.map((webhook) => webhook.id)));

    // What the budget does not do: a genuine large body waits while strangers hold the large pool (503, retried).
    const waiting = await signedLarge(port);
    assert.equal(waiting.status, 503);

    assert.equal(ingress.child.exitCode, null, 'the ingress is up');
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    t.diagnostic(`RSS ${Math.round(baseline / MiB)} MiB before the strangers, peak ${Math.round(peak / MiB)} MiB`);
    assert.ok(peak - baseline < 64 * MiB, `RSS grew by ${Math.round((peak - baseline) / MiB)} MiB`);

    // The strangers give up mid-body: their reservations come back, and a genuine large body is taken again.
    for (const holder of holders) holder.socket.destroy();
    const retried = await waitFor('a signed large body accepted once the holders are gone', async () => {
      const attempt = await signedLarge(port);
      return attempt.status === 202 && attempt;
    });
    const arrived = await events.waitForCount(5 + small.length + 1);
    assert.equal(arrived.at(-1)!.attributes.deliveryId, retried.delivery);
    assert.equal(arrived.at(-1)!.data.length, LARGE);
    assert.deepEqual(
      ingress.logs.filter((entry) => entry.severity === 'ERROR' || entry.severity === 'CRITICAL'),
      [],
    );
    // Each refusal was logged as a deferral, the warning a provider's retry deserves, not as a failure.
    const deferred = ingress.logs.filter((entry) => entry.message === 'webhook deferred' && entry.code === 'overloaded');
    assert.ok(deferred.length >= HOSTILE - ADMITTED + wave.length);
  } finally {
    clearInterval(sampler);
  }
});
