// The ingress's publisher alone against the Pub/Sub emulator, two batching schemes side by side: the library's Topic
// with the fixed 5 ms window the ingress used (100 messages, 1 MiB) and the adaptive batcher (ingress/src/batching.ts,
// sent at once when a slot is free, grouped while requests are under way). Both go through the ingress's own
// BoundedPublisher (deadline and shedding), 1 KB messages with the ingress's attributes. Two loads: a fixed number of
// publishes kept in flight, each answered one followed at once by the next (as a load generator's connections do), and
// publishes arriving at a fixed rate whatever happens to earlier ones (as providers send them). Each point runs in its
// own process, whose CPU time is read from process.cpuUsage(). The emulator answers in a few milliseconds, faster than
// Pub/Sub over a network; BENCH_EXTRA_RTT_MS delays every Publish RPC of both schemes by so much, to see how each
// batches when requests take longer.
//
//   node bench/publisher-batching.ts                 # starts an emulator, or uses PUBSUB_EMULATOR_HOST
//   BENCH_PUBLISHES=20000 BENCH_INFLIGHT=10,50,250,500 BENCH_RATES=200,2000,10000 BENCH_RATE_SECONDS=5 \
//   BENCH_SCHEMES=fixed-5ms,adaptive BENCH_EXTRA_RTT_MS=0 node bench/publisher-batching.ts
//
// Prints a Markdown table on stdout and one JSON line per point on stderr. It measures; nothing here passes or fails.
import { spawn } from 'node:child_process';
import { PubSub } from '@google-cloud/pubsub';
import { createAdaptiveBatcher } from '../ingress/src/batching.ts';
import { type BoundedPublisher, createBoundedPublisher, type TopicPort } from '../ingress/src/publisher.ts';
import { type Emulator, LOCAL_PROJECT, startEmulator } from '../scripts/emulators.ts';
import { openPublishRpc, openTopic, type PublishRpc } from '../shared/src/pubsub.ts';

const SCHEMES = ['fixed-5ms', 'adaptive', 'adaptive-2', 'adaptive-4'] as const;
type Scheme = (typeof SCHEMES)[number];

/** `inflight`: so many under way at once, closed loop; `rate`: so many a second, open loop. */
interface Load {
  kind: 'inflight' | 'rate';
  value: number;
}

interface Point {
  scheme: Scheme;
  load: Load;
  publishes: number;
  cpuMicrosPerMessage: number;
  p50Ms: number;
  p99Ms: number;
  messagesPerSecond: number;
  /** Messages per Publish RPC (the adaptive schemes count their requests). */
  meanBatch: number | undefined;
}

const PAYLOAD = Buffer.alloc(1024, 120);
const ATTRIBUTES = {
  source: 'github',
  provider: 'github',
  deliveryId: '6f0b5f5e-2a3c-11f0-8f1e-5b7d3c1e9a00',
  eventType: 'push',
  receivedAt: '2026-11-25T10:00:00.000Z',
  contentType: 'application/json',
};
const TIMEOUT_MS = 5000;
const EXTRA_RTT_MS = Number(process.env.BENCH_EXTRA_RTT_MS ?? 0);
const delayed = () => new Promise((resolve) => setTimeout(resolve, EXTRA_RTT_MS));

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** One publish of the benchmark's message, its latency kept at `index` once Pub/Sub confirmed it. */
async function timedPublish(publisher: BoundedPublisher, latencies: Float64Array, index: number): Promise<void> {
  const at = performance.now();
  await publisher.publish({ data: PAYLOAD, attributes: ATTRIBUTES });
  latencies[index] = performance.now() - at;
}

/** `total` publishes with `inflight` under way at once: each one answered is followed at once by the next. */
function closedLoop(publisher: BoundedPublisher, inflight: number, total: number, latencies: Float64Array): Promise<void> {
  let started = 0;
  let done = 0;
  return new Promise<void>((resolve, reject) => {
    const next = () => {
      const index = started;
      started += 1;
      timedPublish(publisher, latencies, index).then(() => {
        done += 1;
        if (started < total) next();
        else if (done === total) resolve();
      }, reject);
    };
    for (let i = 0; i < Math.min(inflight, total); i += 1) next();
  });
}

/** `total` publishes arriving at `perSecond`, whatever happens to earlier ones (checked every millisecond). */
function openLoop(publisher: BoundedPublisher, perSecond: number, total: number, latencies: Float64Array): Promise<void> {
  let started = 0;
  let done = 0;
  const begin = performance.now();
  return new Promise<void>((resolve, reject) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - begin) / 1000) * perSecond) + 1);
      while (started < due) {
        const index = started;
        started += 1;
        timedPublish(publisher, latencies, index).then(() => {
          done += 1;
          if (done === total) resolve();
        }, reject);
      }
      if (started < total) setTimeout(tick, 1);
    };
    tick();
  });
}

/** One point, in this process, after a quarter as many publishes to warm up. */
async function measure(scheme: Scheme, load: Load, count: number, topicName: string): Promise<Point> {
  const pubsub = new PubSub({ projectId: LOCAL_PROJECT });
  let rpcs = 0;
  let topic: TopicPort;
  let close: () => Promise<void>;
  if (scheme === 'fixed-5ms') {
    // The ingress before: the library's batching with a 5 ms window, message ordering on.
    const fixed = {
      timeoutMs: TIMEOUT_MS,
      batchMaxMessages: 100,
      batchMaxMilliseconds: 5,
      batchMaxBytes: 1024 * 1024,
      messageOrdering: true,
    };
    const library = openTopic(pubsub, topicName, fixed);
    if (EXTRA_RTT_MS > 0) {
      // The library's batches go out through topic.request (its MessageQueue): delay each as the adaptive RPC is.
      const request = library.request.bind(library) as (...args: unknown[]) => void;
      (library as unknown as { request: (...args: unknown[]) => void }).request = (...args) => void delayed().then(() => request(...args));
    }
    topic = library as unknown as TopicPort;
    close = async () => {};
  } else {
    const publish = openPublishRpc(pubsub, topicName);
    const counted: PublishRpc = async (request, timeoutMs) => {
      rpcs += 1;
      if (EXTRA_RTT_MS > 0) await delayed();
      return publish.rpc(request, timeoutMs);
    };
    const slots = scheme === 'adaptive' ? 1 : Number(scheme.split('-')[1]);
    topic = createAdaptiveBatcher(counted, {
      maxMessages: 1000,
      maxBytes: 4 * 1024 * 1024,
      maxConcurrentRpcs: slots,
      timeoutMs: TIMEOUT_MS,
      releaseSlotAfterMs: 500,
    });
    close = publish.close;
  }
  const publisher = createBoundedPublisher(topic, { timeoutMs: TIMEOUT_MS, slowMs: 1000, maxLateBytes: 32 * 1024 * 1024 });
  const run = (total: number, latencies: Float64Array) =>
    load.kind === 'inflight' ? closedLoop(publisher, load.value, total, latencies) : openLoop(publisher, load.value, total, latencies);

  await run(Math.ceil(count / 4), new Float64Array(Math.ceil(count / 4)));
  rpcs = 0;
  const latencies = new Float64Array(count);
  const cpu = process.cpuUsage();
  const wall = performance.now();
  await run(count, latencies);
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - wall) / 1000;
  const batches = rpcs;
  await publisher.drain();
  await close();
  await pubsub.close();
  latencies.sort();
  return {
    scheme,
    load,
    publishes: count,
    cpuMicrosPerMessage: Math.round(((used.user + used.system) / count) * 10) / 10,
    p50Ms: Math.round(quantile(latencies, 0.5) * 100) / 100,
    p99Ms: Math.round(quantile(latencies, 0.99) * 100) / 100,
    messagesPerSecond: Math.round(count / seconds),
    meanBatch: scheme === 'fixed-5ms' ? undefined : Math.round((count / batches) * 10) / 10,
  };
}

function runPoint(scheme: Scheme, load: Load, count: number, topic: string, env: NodeJS.ProcessEnv): Promise<Point> {
  return new Promise((resolve, reject) => {
    const args = [import.meta.filename, 'point', scheme, load.kind, String(load.value), String(count), topic];
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as Point);
      else reject(new Error(`${scheme} at ${load.value} ${load.kind}: exit ${code}`));
    });
  });
}

const list = (text: string) => (text ? text.split(',').map(Number) : []);

function table(points: Point[], title: string): string[] {
  if (points.length === 0) return [];
  return [
    title,
    '',
    '| load | scheme | CPU µs/message | p50 ms | p99 ms | messages/s | messages/RPC |',
    '|---|---|---|---|---|---|---|',
    ...points.map(
      (p) =>
        `| ${p.load.value}${p.load.kind === 'rate' ? '/s' : ' in flight'} | ${p.scheme} | ${p.cpuMicrosPerMessage} | ` +
        `${p.p50Ms} | ${p.p99Ms} | ` +
        `${p.messagesPerSecond} | ${p.meanBatch ?? ''} |`,
    ),
    '',
  ];
}

async function main(): Promise<void> {
  const count = Number(process.env.BENCH_PUBLISHES ?? 20_000);
  const seconds = Number(process.env.BENCH_RATE_SECONDS ?? 5);
  const loads: Load[] = [
    ...list(process.env.BENCH_INFLIGHT ?? '10,50,250,500').map((value) => ({ kind: 'inflight' as const, value })),
    ...list(process.env.BENCH_RATES ?? '200,2000,10000').map((value) => ({ kind: 'rate' as const, value })),
  ];
  const schemes = (process.env.BENCH_SCHEMES ?? 'fixed-5ms,adaptive').split(',') as Scheme[];
  for (const scheme of schemes) if (!SCHEMES.includes(scheme)) throw new Error(`unknown scheme ${scheme}: ${SCHEMES.join(', ')}`);

  let emulator: Emulator | undefined;
  if (!process.env.PUBSUB_EMULATOR_HOST) emulator = await startEmulator('pubsub');
  process.env.PUBSUB_EMULATOR_HOST ??= emulator!.host;
  const env = { ...process.env, GOOGLE_CLOUD_PROJECT: LOCAL_PROJECT };
  const pubsub = new PubSub({ projectId: LOCAL_PROJECT });
  const topic = `bench-batching-${process.pid}`;
  try {
    await pubsub.createTopic(topic);
    const points: Point[] = [];
    for (const load of loads) {
      for (const scheme of schemes) {
        const total = load.kind === 'inflight' ? count : Math.round(load.value * seconds);
        const point = await runPoint(scheme, load, total, topic, env);
        process.stderr.write(`${JSON.stringify(point)}\n`);
        points.push(point);
      }
    }
    const closed = points.filter((p) => p.load.kind === 'inflight');
    const open = points.filter((p) => p.load.kind === 'rate');
    console.log(
      [
        `1 KB messages to the Pub/Sub emulator${EXTRA_RTT_MS > 0 ? `, every Publish RPC delayed ${EXTRA_RTT_MS} ms` : ''}; CPU of the ` +
          'publishing process; each point after a quarter as many to warm up.',
        '',
        ...table(closed, `Closed loop, ${count} publishes a point: so many under way, each answered one followed at once by the next.`),
        ...table(open, `Open loop, ${seconds} s a point: publishes arriving at a fixed rate.`),
      ].join('\n'),
    );
  } finally {
    await pubsub
      .topic(topic)
      .delete()
      .catch((error: Error) => process.stderr.write(`could not delete ${topic}: ${error.message}\n`));
    await pubsub.close();
    await emulator?.stop();
  }
}

if (process.argv[2] === 'point') {
  const [, , , scheme, kind, value, count, topic] = process.argv;
  const point = await measure(scheme as Scheme, { kind: kind as Load['kind'], value: Number(value) }, Number(count), topic!);
  console.log(JSON.stringify(point));
} else {
  await main();
}
