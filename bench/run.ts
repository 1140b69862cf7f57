// `npm run bench`: curves of the hookpipe ingress beside the ingress a user would write from Google's sample (and a
// bare node:http server, the limit) at 10, 50, 250 and 500 connections with GitHub-signed 1 KB webhooks, and at 50
// and 250 with 64 KB ones; the ingress's publisher alone; the heaviest load with every 2xx checked on the topic; the
// processor alone and its Firestore client alone; and the pipeline end to end. All in one run on one machine, bounded by BENCH_DURATION seconds per
// point. Writes bench/results/<date>/results.json, report.md and an SVG chart per curve (bench/report.ts). It
// measures and reports; nothing here passes or fails a build.
//
//   BENCH_DURATION=15            seconds per measured point (default 15: a full run takes about 12 minutes on 2 cores)
//   BENCH_CONNECTIONS=10,50,250,500   the 1 KB curve;  BENCH_LARGE_CONNECTIONS=50,250   the 64 KB curve
//   BENCH_ONLY=ingress,publisher,heaviest,processor,firestore-floor,e2e   some phases only (for development)
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { Firestore } from '@google-cloud/firestore';
import { type Message, PubSub } from '@google-cloud/pubsub';
import { type Emulator, freePort, LOCAL_PROJECT, startEmulator } from '../scripts/emulators.ts';
import { ensureTopology, topologyWith } from '../shared/src/topology.ts';
import { type DeployedService, readDeployed } from './deployed.ts';
import { checkAnswers, childJson, ingressEnv, measurePoint, runLoad, startServer } from './harness.ts';
import { BENCH_SECRET } from './payloads.ts';
import { cpuMicros, peakRssBytes, pidListeningOn } from './proc.ts';
import { measureFirestoreFloor, measureProcessorAlone } from './processor-alone.ts';
import {
  type BenchRun,
  type Curve,
  type EndToEnd,
  type HeaviestLoad,
  LARGE,
  type PublisherPoint,
  type ServiceLimits,
  SMALL,
  writeReport,
} from './report.ts';

const list = (text: string) => text.split(',').filter(Boolean).map(Number);
const DURATION = Number(process.env.BENCH_DURATION ?? 15);
const WARMUP = Math.min(2, DURATION);
const CONNECTIONS = list(process.env.BENCH_CONNECTIONS ?? '10,50,250,500');
const LARGE_CONNECTIONS = list(process.env.BENCH_LARGE_CONNECTIONS ?? '50,250');
const PHASES = new Set((process.env.BENCH_ONLY ?? 'ingress,publisher,heaviest,processor,firestore-floor,e2e').split(','));

const say = (text: string) => process.stderr.write(`${text}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything measured runs as deployed: compiled to JavaScript, as the Dockerfile's `npm run build` does. */
const BUILD = '.tools/bench-build';
const built = (path: string) => `${BUILD}/${path.replace(/\.ts$/, '.js')}`;

/** A server of the benchmark, run compiled as deployed. */
const startBuilt = (name: string, script: string, env: NodeJS.ProcessEnv, port?: number) => startServer(name, built(script), env, { port });

/** The emulators' Java processes, found by the port they listen on, so their CPU can be shown apart. */
function emulatorPid(emulator: Emulator): number | undefined {
  return pidListeningOn(Number(emulator.host.slice(emulator.host.lastIndexOf(':') + 1)));
}

interface Contender {
  name: 'hookpipe' | 'sample' | 'bare';
  script: string;
  env: NodeJS.ProcessEnv;
}

function contenders(deployed: DeployedService, topic: string): Contender[] {
  return [
    {
      name: 'hookpipe',
      script: 'ingress/src/main.ts',
      env: ingressEnv(deployed, topic),
    },
    { name: 'sample', script: 'bench/servers/sample.ts', env: { WEBHOOK_SECRET: BENCH_SECRET, TOPIC: topic } },
    { name: 'bare', script: 'bench/servers/bare.ts', env: {} },
  ];
}

/** Each contender's curve on a fresh server: one warm-up and one measurement per number of connections, in order. */
async function ingressCurves(all: Contender[], pubsubPid: number | undefined): Promise<Curve[]> {
  const curves: Curve[] = [];
  for (const [payloadBytes, points] of [
    [SMALL, CONNECTIONS],
    [LARGE, LARGE_CONNECTIONS],
  ] as const) {
    if (points.length === 0) continue;
    for (const contender of all) {
      const server = await startBuilt(contender.name, contender.script, contender.env);
      const curve: Curve = { contender: contender.name, payloadBytes, points: [], peakRssMB: 0 };
      try {
        for (const connections of points) {
          const url = `http://127.0.0.1:${server.port}/webhooks/github`;
          const point = await measurePoint(
            server,
            { url, payloadBytes, connections, warmupSeconds: WARMUP, durationSeconds: DURATION },
            pubsubPid,
          );
          curve.points.push(point);
          say(
            `${contender.name} ${payloadBytes} B, ${connections} connections: ${point.twoxxPerSecond} 2xx/s, ` +
              `${point.cpuMicrosPer2xx} µs CPU/2xx, p50/p99 ${point.latency.p50}/${point.latency.p99} ms, ` +
              `${point.non2xx} non-2xx, ${point.errors} errors`,
          );
        }
        curve.peakRssMB = Math.round(peakRssBytes(server.child.pid!) / 2 ** 20);
      } finally {
        await server.stop();
      }
      curves.push(curve);
    }
  }
  return curves;
}

async function waitUntil(probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await sleep(200);
  }
  return false;
}

async function tapCount(pubsub: PubSub, topic: string) {
  const [subscription] = await pubsub.topic(topic).createSubscription(`bench-tap-${Date.now()}`);
  let count = 0;
  subscription.on('message', (message: Message) => {
    count += 1;
    message.ack();
  });
  return { count: () => count, close: () => subscription.close() };
}

/**
 * The most connections again, with every message on the topic counted: whatever the ingress answers, every 2xx must
 * be a message Pub/Sub holds (a subscriber costs the emulator CPU, so the curves themselves run without one).
 */
async function heaviestLoad(pubsub: PubSub, hookpipe: Contender): Promise<HeaviestLoad> {
  const server = await startBuilt('hookpipe', hookpipe.script, hookpipe.env);
  const tap = await tapCount(pubsub, String(hookpipe.env.HOOKPIPE_TOPIC));
  try {
    const connections = Math.max(...CONNECTIONS);
    const url = `http://127.0.0.1:${server.port}/webhooks/github`;
    const result = await runLoad({ url, payloadBytes: SMALL, connections, durationSeconds: DURATION });
    checkAnswers(server, result);
    const peakRssMB = Math.round(peakRssBytes(server.child.pid!) / 2 ** 20);
    await waitUntil(() => tap.count() >= result.twoxx, 120_000);
    const status503 = result.statusCodes['503']?.count ?? 0;
    return {
      connections,
      twoxxPerSecond: Math.round(result.twoxx / result.durationSeconds),
      twoxx: result.twoxx,
      status503,
      otherNon2xx: result.non2xx - status503,
      errors: result.errors,
      latency: result.latency,
      peakRssMB,
      publishedSeen: tap.count(),
      twoxxWithoutPublish: Math.max(0, result.twoxx - tap.count()),
    };
  } finally {
    await tap.close();
    await server.stop();
  }
}

/**
 * The ingress's publisher alone (bench/publisher-batching.ts, one process per point): 1 KB publishes with as many
 * under way as the curve has connections, with the fixed 5 ms batching the ingress had and the adaptive batching.
 */
async function publisherAlone(topic: string): Promise<PublisherPoint[]> {
  const points: PublisherPoint[] = [];
  const count = String(process.env.BENCH_PUBLISHES ?? 20_000);
  for (const inflight of CONNECTIONS) {
    for (const scheme of (process.env.BENCH_PUBLISHER_SCHEMES ?? 'fixed-5ms,adaptive').split(',')) {
      const args = ['bench/publisher-batching.ts', 'point', scheme, 'inflight', String(inflight), count, topic];
      const point = await childJson<PublisherPoint>(args);
      say(`publisher alone, ${scheme}, ${inflight} in flight: ${point.cpuMicrosPerMessage} µs/message, ${point.meanBatch ?? '-'} per RPC`);
      points.push(point);
    }
  }
  return points;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Ingress 202 to a "processed" ledger entry, through the Pub/Sub emulator's push and the processor. */
async function endToEnd(pubsub: PubSub, firestore: Firestore, hookpipe: Contender, emulators: Emulator[]): Promise<EndToEnd> {
  const topology = topologyWith({ suffix: '-bench-e2e', minimumBackoffSeconds: 1, maximumBackoffSeconds: 5 });
  const ledger = `bench-ledger-${Date.now()}`;
  // The subscription first, so that the processor reads its ack deadline and attempts at start-up as on Cloud Run.
  const processorPort = await freePort();
  await ensureTopology(pubsub, topology, { pushEndpoint: `http://127.0.0.1:${processorPort}/pubsub/push` });
  const processor = await startBuilt(
    'processor',
    'processor/src/main.ts',
    {
      HOOKPIPE_PUSH_AUTH: 'none',
      HOOKPIPE_HANDLERS: built('bench/handlers.ts'),
      HOOKPIPE_PUSH_SUBSCRIPTION: topology.pushSubscription,
      HOOKPIPE_DEAD_LETTER_TOPIC: topology.deadLetterTopic,
      HOOKPIPE_LEDGER_COLLECTION: ledger,
      HOOKPIPE_ADMIN: 'false',
      LOG_LEVEL: 'warn',
    },
    processorPort,
  );
  const ingress = await startBuilt('hookpipe', hookpipe.script, { ...hookpipe.env, HOOKPIPE_TOPIC: topology.topic });
  const url = `http://127.0.0.1:${ingress.port}/webhooks/github`;
  const processed = async () => (await firestore.collection(ledger).where('status', '==', 'processed').count().get()).data().count;
  const pids = {
    ingress: ingress.child.pid!,
    processor: processor.child.pid!,
    pubsubEmulator: emulatorPid(emulators[0]!),
    firestoreEmulator: emulatorPid(emulators[1]!),
  };
  type Part = keyof typeof pids;
  const cpuNow = () =>
    Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, pid ? cpuMicros(pid) : NaN])) as Record<Part, number>;
  try {
    const amount = Number(process.env.BENCH_E2E_EVENTS ?? 3000);
    const cpuBefore = cpuNow();
    const started = Date.now();
    const burst = await runLoad({ url, payloadBytes: SMALL, connections: 50, amount, unique: true });
    checkAnswers(ingress, burst);
    await waitUntil(async () => (await processed()) >= burst.twoxx, 180_000);
    const seconds = (Date.now() - started) / 1000;
    const cpuAfter = cpuNow();
    const events = await processed();
    const perEvent = (name: Part) =>
      Number.isNaN(cpuAfter[name]) ? undefined : Math.round((cpuAfter[name] - cpuBefore[name]) / Math.max(1, events));
    const eventsPerSecond = Math.round(events / seconds);

    const fixedRates: EndToEnd['fixedRates'] = [];
    for (const share of [0.25, 0.5, 0.75]) {
      const rate = Math.max(10, Math.floor(eventsPerSecond * share));
      const before = await processed();
      const since = new Date();
      const steady = await runLoad({ url, payloadBytes: SMALL, connections: 50, amount: rate * DURATION, rate, unique: true });
      await waitUntil(async () => (await processed()) >= before + steady.twoxx, 180_000);
      const docs = await firestore.collection(ledger).where('createdAt', '>=', since).get();
      const latencies = docs.docs
        .map((doc) => doc.data())
        .filter((d) => d.processedAt && d.receivedAt)
        .map((d) => d.processedAt.toMillis() - d.receivedAt.toMillis())
        .sort((a, b) => a - b);
      fixedRates.push({ offered: rate, events: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99) });
      say(`end to end at ${rate}/s: ${JSON.stringify(fixedRates.at(-1))}`);
    }
    return {
      burst: {
        events,
        seconds: Math.round(seconds * 10) / 10,
        eventsPerSecond,
        cpuMicrosPerEvent: {
          ingress: perEvent('ingress')!,
          processor: perEvent('processor')!,
          pubsubEmulator: perEvent('pubsubEmulator'),
          firestoreEmulator: perEvent('firestoreEmulator'),
        },
      },
      fixedRates,
    };
  } finally {
    await ingress.stop();
    await processor.stop();
  }
}

const limitsOf = ({ concurrency, maxInstances, vcpu, memoryGiB }: DeployedService): ServiceLimits => ({
  concurrency,
  maxInstances,
  vcpu,
  memoryGiB,
});

async function main(): Promise<BenchRun> {
  const date = new Date().toISOString();
  const loadAverage = Math.round(loadavg()[0]! * 100) / 100; // before the compiler and the emulators add to it
  const deployed = await readDeployed();
  say('compiling ...');
  const compiled = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'bench/tsconfig.json'], { stdio: 'inherit' });
  if (compiled.status !== 0) throw new Error('the build failed');
  const emulators: Emulator[] = await Promise.all([startEmulator('pubsub'), startEmulator('firestore')]);
  const [pubsubHost, firestoreHost] = emulators.map((e) => e.host) as [string, string];
  process.env.PUBSUB_EMULATOR_HOST = pubsubHost;
  process.env.FIRESTORE_EMULATOR_HOST = firestoreHost;
  process.env.GOOGLE_CLOUD_PROJECT = LOCAL_PROJECT;
  process.env.METADATA_SERVER_DETECTION = 'none';
  const pubsub = new PubSub({ projectId: LOCAL_PROJECT });
  const firestore = new Firestore({ projectId: LOCAL_PROJECT });
  const run: BenchRun = {
    date,
    durationSeconds: DURATION,
    machine: {
      cores: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      loadAverage,
    },
    deployed: {
      ingressEnv: deployed.ingress.env,
      ingress: limitsOf(deployed.ingress),
      processor: limitsOf(deployed.processor),
    },
    curves: [],
  };
  // A phase that fails is reported with its error and the others still run: one broken part must not cost the rest.
  const phase = async (name: string, work: () => Promise<void>) => {
    if (!PHASES.has(name)) return;
    const started = Date.now();
    say(`${name} ...`);
    try {
      await work();
    } catch (error) {
      say(`${name} failed: ${(error as Error).stack ?? String(error)}`);
      run.failures ??= [];
      run.failures.push({ phase: name, error: (error as Error).message });
    }
    run.phaseSeconds ??= {};
    run.phaseSeconds[name] = Math.round((Date.now() - started) / 1000);
  };
  try {
    const topology = topologyWith({ suffix: '-bench', minimumBackoffSeconds: 1, maximumBackoffSeconds: 5 });
    await ensureTopology(pubsub, topology);
    const all = contenders(deployed.ingress, topology.topic);
    const hookpipe = all[0]!;
    await phase('ingress', async () => {
      run.curves = await ingressCurves(all, emulatorPid(emulators[0]!));
    });
    await phase('publisher', async () => {
      run.publisher = await publisherAlone(topology.topic);
    });
    await phase('heaviest', async () => {
      run.heaviest = await heaviestLoad(pubsub, hookpipe);
      say(`  ${JSON.stringify(run.heaviest)}`);
    });
    await phase('processor', async () => {
      const connections = [...new Set([10, deployed.processor.concurrency, 50])].sort((a, b) => a - b);
      run.processor = await measureProcessorAlone({ root: '.', connections, durationSeconds: DURATION, firestoreHost, pubsubHost });
    });
    await phase('firestore-floor', async () => {
      run.firestoreFloor = await measureFirestoreFloor(firestoreHost, deployed.processor.concurrency);
    });
    await phase('e2e', async () => {
      run.e2e = await endToEnd(pubsub, firestore, hookpipe, emulators);
      say(`  ${JSON.stringify(run.e2e.burst)}`);
    });
  } finally {
    await Promise.all([pubsub.close(), firestore.terminate()]);
    await Promise.all(emulators.map((e) => e.stop()));
  }
  return run;
}

const run = await main();
const dir = `bench/results/${run.date.slice(0, 19).replaceAll(':', '-')}`;
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}/results.json`, `${JSON.stringify(run, null, 2)}\n`);
const markdown = writeReport(run, `${dir}/results.json`);
process.stdout.write(`${markdown}\nwritten: ${dir}/results.json, report.md and the charts\n`);
process.exit(0);
