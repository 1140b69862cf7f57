// The ingress under trouble: Pub/Sub gone and back, SIGTERM under load, and thousands of malformed requests. The
// rule each scenario checks: no 2xx for an event that is not on the topic.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, test } from 'node:test';
import { PubSub } from '@google-cloud/pubsub';
import fc from 'fast-check';
import { LOCAL_PROJECT, startEmulator } from '../../scripts/emulators.ts';
import { ensureTopology, topologyWith } from '../../shared/src/topology.ts';
import { isolatedTopology, tap, testPubSub } from '../support/pubsub.ts';
import { spawnIngress } from '../support/services.ts';
import { LOCAL_SOURCES, signStripe, stripeWebhook } from '../support/stripe.ts';
import { waitFor } from '../support/wait.ts';
import { load, report, rssBytes } from './support.ts';

const pubsub = testPubSub();
after(() => pubsub.close());

const ingressEnv = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...process.env, HOOKPIPE_SOURCES: LOCAL_SOURCES, ...extra });

test('Pub/Sub stopped during load: only 503s while it is down, and the ingress recovers without a restart', async () => {
  let emulator = await startEmulator('pubsub');
  const host = emulator.host;
  const port = Number(host.split(':')[1]);
  const topology = topologyWith({ suffix: '-outage' });
  let admin = new PubSub({ projectId: LOCAL_PROJECT, apiEndpoint: host });
  await ensureTopology(admin, topology);
  let events = await tap(admin, topology.topic);
  const ingress = await spawnIngress(
    ingressEnv({ PUBSUB_EMULATOR_HOST: host, HOOKPIPE_TOPIC: topology.topic, HOOKPIPE_PUBLISH_TIMEOUT_MS: '1000' }),
  );
  try {
    const before = await load(ingress.port, 100, 10);
    assert.equal(before.accepted.length, 100);
    await events.waitForCount(100);

    await events.close();
    await admin.close();
    await emulator.stop();
    const started = Date.now();
    const down = await load(ingress.port, 60, 10);
    const downMs = Date.now() - started;
    assert.deepEqual([...down.statuses.keys()], [503], `while Pub/Sub is down every answer is 503 (${JSON.stringify([...down.statuses])})`);

    emulator = await startEmulator('pubsub', { port });
    admin = new PubSub({ projectId: LOCAL_PROJECT, apiEndpoint: host });
    await ensureTopology(admin, topology);
    events = await tap(admin, topology.topic);
    const recovering = Date.now();
    await waitFor('the first 202 after the restart', async () => (await stripeWebhook(ingress.port).status()) === 202 || undefined, 60_000);
    const recoveryMs = Date.now() - recovering;
    const afterRestart = await load(ingress.port, 100, 10);
    const arrived = await events.waitForCount(afterRestart.accepted.length + 1);
    const onTopic = new Set(arrived.map((m) => m.attributes.deliveryId));
    report('Pub/Sub outage', {
      acceptedBefore: before.accepted.length,
      answeredWhileDown: 60,
      meanMsPerAnswerWhileDown: Math.round((downMs / 60) * 10) / 10,
      recoveryMs,
      acceptedAfter: afterRestart.accepted.length,
      lostAfter: afterRestart.accepted.filter((id) => !onTopic.has(id)).length,
    });
    assert.deepEqual([...afterRestart.statuses.keys()], [202], 'once Pub/Sub is back, every webhook is accepted again');
    for (const id of afterRestart.accepted) assert.ok(onTopic.has(id), `${id} got 202 but is not on the topic`);
    assert.equal(ingress.child.exitCode, null, 'the same ingress process, never restarted');
  } finally {
    ingress.child.kill('SIGKILL');
    // The tap may already be closed: it is closed before the emulator stops, and reopened once it is back.
    await events.close();
    await admin.close();
    await emulator.stop();
  }
});

test('SIGTERM to the ingress under load: requests finish or get 503, and every 202 is on the topic', async () => {
  const topology = await isolatedTopology(pubsub);
  const events = await tap(pubsub, topology.topic);
  const ingress = await spawnIngress(ingressEnv({ HOOKPIPE_TOPIC: topology.topic }));
  try {
    let signalledAt = 0;
    const result = await load(ingress.port, 600, 50, (index) => {
      if (index === 200) {
        signalledAt = Date.now();
        ingress.child.kill('SIGTERM');
      }
    });
    const { code, at } = await ingress.exited;
    assert.equal(code, 0, ingress.problems.join('\n'));
    // Request 200 is sent after the signal, with at most 49 others in flight: the 150 answered before it had 202s.
    assert.ok(result.accepted.length >= 150, `only ${result.accepted.length} accepted before and during the shutdown`);
    assert.ok(at - signalledAt < 10_000, `exited ${at - signalledAt} ms after SIGTERM`);
    for (const status of result.statuses.keys()) assert.ok([202, 503, 0].includes(status), `status ${status}`);
    const arrived = await events.waitForCount(result.accepted.length);
    const onTopic = new Set(arrived.map((m) => m.attributes.deliveryId));
    const lost = result.accepted.filter((id) => !onTopic.has(id));
    report('ingress SIGTERM under load', {
      statuses: Object.fromEntries(result.statuses),
      accepted: result.accepted.length,
      onTopic: onTopic.size,
      lost: lost.length,
      exitMs: at - signalledAt,
    });
    assert.deepEqual(lost, []);
  } finally {
    await events.close();
  }
});

/** One raw HTTP exchange, for what fetch will not send: truncated bodies, slow senders. */
function raw(port: number, chunks: Array<string | Buffer>, gapMs: number, endEarly: boolean): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (data) => (answer += data.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    void (async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        // The slow sender's pace: what is being tested is the server's patience.
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
      if (endEarly) socket.end();
    })();
  });
}

test('thousands of malformed requests get only 4xx; the process stays up and its memory returns to its baseline', async () => {
  const topology = await isolatedTopology(pubsub);
  const events = await tap(pubsub, topology.topic);
  const ingress = await spawnIngress(
    ingressEnv({ HOOKPIPE_TOPIC: topology.topic, HOOKPIPE_HEADERS_TIMEOUT_MS: '1000', HOOKPIPE_REQUEST_TIMEOUT_MS: '2000' }),
  );
  const base = `http://127.0.0.1:${ingress.port}`;
  try {
    const warmUp = await load(ingress.port, 200, 10);
    const baseline = await rssBytes(ingress.child.pid!);
    let peak = baseline;
    const statuses = new Map<number, number>();
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);

    const request = fc.oneof(
      fc
        .string()
        .map((text) => `{${text}`)
        .filter((body) => {
          try {
            JSON.parse(body);
            return false;
          } catch {
            return true;
          }
        })
        .map((body) => ({
          path: '/webhooks/stripe',
          headers: { 'content-type': 'application/json', 'stripe-signature': signStripe(body) },
          body,
        })),
      fc
        .record({ body: fc.string(), sig: fc.string() })
        .map(({ body, sig }) => ({ path: '/webhooks/stripe', headers: { 'stripe-signature': `t=1,v1=${sig}` }, body })),
      fc
        .record({
          body: fc.string(),
          type: fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', '', 'application/json; charset=latin1'),
        })
        .map(({ body, type }) => ({ path: '/webhooks/github', headers: { 'content-type': type }, body })),
      fc.string({ minLength: 1 }).map((name) => ({ path: `/webhooks/${encodeURIComponent(name)}x`, headers: {}, body: '{}' })),
      fc
        .integer({ min: 17_000, max: 40_000 })
        .map((size) => ({ path: '/webhooks/stripe', headers: { 'stripe-signature': 'v'.repeat(size) }, body: '{}' })),
      fc
        .integer({ min: 513 * 1024, max: 3 * 1024 * 1024 })
        .map((size) => ({ path: '/webhooks/stripe', headers: { 'stripe-signature': signStripe('x') }, body: 'x'.repeat(size) })),
      fc.constantFrom('PUT', 'DELETE', 'PATCH').map((method) => ({ path: '/webhooks/stripe', headers: {}, body: '{}', method })),
    );
    await fc.assert(
      fc.asyncProperty(request, async (r: { path: string; headers: Record<string, string>; body: string; method?: string }) => {
        let status: number;
        try {
          const response = await fetch(base + r.path, { method: r.method ?? 'POST', headers: r.headers, body: r.body });
          await response.arrayBuffer();
          status = response.status;
        } catch {
          status = 0; // the server cut the connection (an oversized body): not a 2xx either
        }
        count(status);
        return status === 0 || (status >= 400 && status < 500);
      }),
      { numRuns: 3000 },
    );
    peak = Math.max(peak, await rssBytes(ingress.child.pid!));

    // What fetch will not send: bodies shorter than declared, and senders slower than the timeouts.
    const head = (length: number) =>
      `POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
    const slow = await Promise.all([
      ...Array.from({ length: 30 }, () => raw(ingress.port, [head(1000), '{"id":"evt_'], 0, true)),
      ...Array.from({ length: 10 }, () => raw(ingress.port, [...'POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\n'], 150, false)),
      ...Array.from({ length: 10 }, () => raw(ingress.port, [head(100), ...'{"id":"evt_1"'.split('')], 300, false)),
    ]);
    for (const line of slow) {
      const status = Number(line.split(' ')[1] ?? 0);
      count(status);
      assert.ok(status === 0 || (status >= 400 && status < 500), `raw answer ${line}`);
    }
    peak = Math.max(peak, await rssBytes(ingress.child.pid!));

    assert.equal(ingress.child.exitCode, null, 'the process is up');
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const settled = await waitFor(
      'memory back near its baseline',
      async () => {
        const rss = await rssBytes(ingress.child.pid!);
        return rss < baseline + 64 * 1024 * 1024 && rss;
      },
      30_000,
    );
    report('malformed input', {
      requests: [...statuses.values()].reduce((a, b) => a + b, 0),
      statuses: Object.fromEntries(statuses),
      rssBaselineMB: Math.round(baseline / 1048576),
      rssPeakMB: Math.round(peak / 1048576),
      rssAfterMB: Math.round(settled / 1048576),
    });
    const warmUpIds = new Set(warmUp.accepted);
    const stray = events.messages.filter((m) => !warmUpIds.has(m.attributes.deliveryId!));
    assert.deepEqual(
      stray.map((m) => m.attributes.source),
      [],
      'nothing malformed was published',
    );
  } finally {
    ingress.child.kill('SIGTERM');
    await events.close();
  }
});
