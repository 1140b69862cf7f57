// `npm run bench`: the hookpipe ingress beside a bare node:http server (the limit) and the ingress a user would write
// from Google's sample (Express, JSON parsing, an HMAC check, one awaited publish per request), with the same signed
// payloads and the same load generator, in one run on one machine; then the pipeline end to end. Writes
// bench/results/<date>.json and .md. It measures and reports; nothing here passes or fails a build.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { Firestore } from '@google-cloud/firestore';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { ensureTopology, topologyWith } from '../shared/src/topology.ts';
import { freePort, LOCAL_PROJECT, startEmulator, type Emulator } from '../scripts/emulators.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECRET = 'whsec_bench_secret';
const TICK_US = 1e6 / 100; // /proc reports CPU time in clock ticks of 10 ms

const say = (text: string) => process.stderr.write(`${text}\n`);

function payload(size: number): string {
  const event = { id: 'evt_bench_0000000000000000', object: 'event', type: 'payment_intent.succeeded', created: 1_763_000_000, livemode: false, data: { object: { id: 'pi_bench_000000000000', object: 'payment_intent', amount: 2000, currency: 'usd', status: 'succeeded', metadata: { padding: '' } } } };
  const base = JSON.stringify(event).length;
  event.data.object.metadata.padding = 'x'.repeat(Math.max(0, size - base));
  return JSON.stringify(event);
}

function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

function peakRss(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

async function listening(port: number, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface LoadResult {
  requests: number;
  twoxx: number;
  non2xx: number;
  statusCodes: Record<string, { count: number }>;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  latency: { p50: number; p90: number; p99: number; max: number };
}

function runLoad(job: Record<string, unknown>): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bench/load.ts', JSON.stringify({ secret: SECRET, connections: CONNECTIONS, ...job })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited ${code}`))));
  });
}

interface Server {
  name: string;
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

async function startServer(name: string, script: string, env: NodeJS.ProcessEnv): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [built(script)], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  await listening(port, child);
  return {
    name,
    child,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Measure {
  contender: string;
  payloadBytes: number;
  saturation: { twoxxPerSecond: number; non2xx: number; cpuMicrosPerAccepted: number; peakRssMB: number; latency: LoadResult['latency'] };
  fixedRate: { offered: number; latency: LoadResult['latency']; twoxx: number; non2xx: number };
}

async function measure(server: Server, body: string, fixedRate: number | undefined): Promise<Measure> {
  const url = `http://127.0.0.1:${server.port}/webhooks/stripe`;
  await runLoad({ url, body, durationSeconds: 2 }); // warm-up: JIT, connections, the publisher's channel
  const cpuBefore = cpuMicros(server.child.pid!);
  const saturated = await runLoad({ url, body, durationSeconds: DURATION });
  const cpu = cpuMicros(server.child.pid!) - cpuBefore;
  const twoxxPerSecond = saturated.twoxx / saturated.durationSeconds;
  const offered = fixedRate ?? Math.max(50, Math.floor(twoxxPerSecond * 0.5));
  const steady = await runLoad({ url, body, durationSeconds: DURATION, rate: offered });
  return {
    contender: server.name,
    payloadBytes: body.length,
    saturation: {
      twoxxPerSecond: Math.round(twoxxPerSecond),
      non2xx: saturated.non2xx,
      cpuMicrosPerAccepted: Math.round(cpu / Math.max(1, saturated.twoxx)),
      peakRssMB: Math.round(peakRss(server.child.pid!) / 1048576),
      latency: saturated.latency,
    },
    fixedRate: { offered, latency: steady.latency, twoxx: steady.twoxx, non2xx: steady.non2xx },
  };
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

async function waitUntil(probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Everything measured runs as deployed: compiled to JavaScript, as the Dockerfile's `npm run build` does. */
const BUILD = '.tools/bench-build';
const built = (path: string) => `${BUILD}/${path.replace(/\.ts$/, '.js')}`;

async function main() {
  say('compiling ...');
  const compiled = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'bench/tsconfig.json'], { stdio: 'inherit' });
  if (compiled.status !== 0) throw new Error('the build failed');
  const emulators: Emulator[] = await Promise.all([startEmulator('pubsub'), startEmulator('firestore')]);
  const [pubsubHost, firestoreHost] = emulators.map((e) => e.host);
  process.env.PUBSUB_EMULATOR_HOST = pubsubHost;
  process.env.FIRESTORE_EMULATOR_HOST = firestoreHost;
  process.env.GOOGLE_CLOUD_PROJECT = LOCAL_PROJECT;
  process.env.METADATA_SERVER_DETECTION = 'none';
  const pubsub = new PubSub({ projectId: LOCAL_PROJECT });
  const firestore = new Firestore({ projectId: LOCAL_PROJECT });
  const topology = topologyWith({ suffix: '-bench', minimumBackoffSeconds: 1, maximumBackoffSeconds: 5 });
  await ensureTopology(pubsub, topology);

  const contenders = [
    { name: 'sample', script: 'bench/servers/sample.ts', env: { WEBHOOK_SECRET: SECRET, TOPIC: topology.topic } },
    { name: 'bare', script: 'bench/servers/bare.ts', env: {} },
    {
      name: 'hookpipe',
      script: 'ingress/src/main.ts',
      env: { HOOKPIPE_SOURCES: 'bench/sources.yaml', STRIPE_WEBHOOK_SECRET: SECRET, HOOKPIPE_TOPIC: topology.topic },
    },
  ];
  const results: Measure[] = [];
  for (const size of [1024, 64 * 1024]) {
    const body = payload(size);
    let fixedRate: number | undefined;
    for (const contender of contenders) {
      say(`${contender.name}, ${size} B payload ...`);
      const server = await startServer(contender.name, contender.script, contender.env);
      try {
        const result = await measure(server, body, fixedRate);
        fixedRate ??= result.fixedRate.offered; // the sample sets the rate every contender is then held to
        results.push(result);
        say(`  ${result.saturation.twoxxPerSecond} 2xx/s, ${result.saturation.cpuMicrosPerAccepted} µs CPU per 2xx, p99 ${result.fixedRate.latency.p99} ms at ${result.fixedRate.offered}/s`);
      } finally {
        await server.stop();
      }
    }
  }

  // Overload: five times hookpipe's own saturation rate. It must answer 503 fast, stay small, and never 2xx what it
  // did not publish.
  say('hookpipe at 5x its saturation rate ...');
  const hookpipe1k = results.find((r) => r.contender === 'hookpipe' && r.payloadBytes < 2048)!;
  const overloadServer = await startServer('hookpipe', 'ingress/src/main.ts', contenders[2]!.env);
  const tap = await tapCount(pubsub, topology.topic);
  const offered = hookpipe1k.saturation.twoxxPerSecond * 5;
  const overload = await runLoad({ url: `http://127.0.0.1:${overloadServer.port}/webhooks/stripe`, body: payload(1024), durationSeconds: DURATION, rate: offered, connections: 400 });
  const overloadRss = Math.round(peakRss(overloadServer.child.pid!) / 1048576);
  await waitUntil(() => tap.count() >= overload.twoxx, 120_000);
  await tap.close();
  await overloadServer.stop();
  const overloadResult = {
    offered,
    achieved: Math.round(overload.requests / overload.durationSeconds),
    twoxx: overload.twoxx,
    status503: overload.statusCodes['503']?.count ?? 0,
    otherNon2xx: overload.non2xx - (overload.statusCodes['503']?.count ?? 0),
    errors: overload.errors,
    latency: overload.latency,
    peakRssMB: overloadRss,
    publishedSeen: tap.count(),
    twoxxWithoutPublish: Math.max(0, overload.twoxx - tap.count()),
  };
  say(`  ${JSON.stringify(overloadResult)}`);

  // What stands between hookpipe and the bare server, measured alone: the Pub/Sub client's CPU per message, with
  // as many publishes in flight as the load has connections.
  const clientFloor: Record<string, number> = {};
  for (const size of [1024, 64 * 1024]) {
    const out = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [built('bench/client-floor.ts'), topology.topic, String(size), String(CONNECTIONS)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.once('exit', () => resolve(text));
    });
    clientFloor[size < 2048 ? '1 KB' : '64 KB'] = (JSON.parse(out) as { microsPerMessage: number }).microsPerMessage;
  }
  say(`  Pub/Sub client alone: ${JSON.stringify(clientFloor)} µs CPU per message`);

  // End to end: ingress 202 to a "processed" ledger entry, through Pub/Sub push and the processor.
  say('end to end ...');
  const e2e = await endToEnd(pubsub, firestore);
  say(`  ${JSON.stringify(e2e)}`);

  await Promise.all([pubsub.close(), firestore.terminate()]);
  await Promise.all(emulators.map((e) => e.stop()));
  return { results, overload: overloadResult, e2e, clientFloor };
}

async function endToEnd(pubsub: PubSub, firestore: Firestore) {
  const topology = topologyWith({ suffix: '-bench-e2e', minimumBackoffSeconds: 1, maximumBackoffSeconds: 5 });
  const ledger = `bench-ledger-${Date.now()}`;
  const processorPort = await freePort();
  const processor = await startServer('processor', 'processor/src/main.ts', {
    PORT: String(processorPort),
    HOOKPIPE_PUSH_AUTH: 'none',
    HOOKPIPE_HANDLERS: built('bench/handlers.ts'),
    HOOKPIPE_DEAD_LETTER_TOPIC: topology.deadLetterTopic,
    HOOKPIPE_LEDGER_COLLECTION: ledger,
    HOOKPIPE_ADMIN: 'false',
    LOG_LEVEL: 'warn',
  });
  await ensureTopology(pubsub, topology, { pushEndpoint: `http://127.0.0.1:${processor.port}/pubsub/push` });
  const ingress = await startServer('hookpipe', 'ingress/src/main.ts', {
    HOOKPIPE_SOURCES: 'config/sources.yaml',
    STRIPE_WEBHOOK_SECRET: SECRET,
    GITHUB_WEBHOOK_SECRET: 'unused',
    HOOKPIPE_TOPIC: topology.topic,
  });
  const url = `http://127.0.0.1:${ingress.port}/webhooks/stripe`;
  const processed = async () => (await firestore.collection(ledger).where('status', '==', 'processed').count().get()).data().count;
  try {
    const amount = Number(process.env.BENCH_E2E_EVENTS ?? 2000);
    const started = Date.now();
    const burst = await runLoad({ url, body: payload(1024), amount, unique: true });
    await waitUntil(async () => (await processed()) >= burst.twoxx, 180_000);
    const throughputSeconds = (Date.now() - started) / 1000;
    const eventsPerSecond = Math.round((await processed()) / throughputSeconds);

    const rate = Math.max(20, Math.floor(eventsPerSecond * 0.5));
    const before = await processed();
    const since = new Date();
    const steady = await runLoad({ url, body: payload(1024), amount: rate * DURATION, rate, unique: true });
    await waitUntil(async () => (await processed()) >= before + steady.twoxx, 180_000);
    const docs = await firestore.collection(ledger).where('createdAt', '>=', since).get();
    const latencies = docs.docs
      .map((doc) => doc.data())
      .filter((d) => d.processedAt && d.receivedAt)
      .map((d) => d.processedAt.toMillis() - d.receivedAt.toMillis())
      .sort((a, b) => a - b);
    return {
      burst: { events: burst.twoxx, seconds: Math.round(throughputSeconds * 10) / 10, eventsPerSecond },
      fixedRate: { offered: rate, events: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    };
  } finally {
    await ingress.stop();
    await processor.stop();
  }
}

function ratio(a: number, b: number): number {
  return Math.round((a / b) * 100) / 100;
}

function report(run: Awaited<ReturnType<typeof main>>, date: string) {
  const find = (contender: string, small: boolean) => run.results.find((r) => r.contender === contender && (r.payloadBytes < 2048) === small)!;
  const targets = [true, false].map((small) => {
    const [h, s, b] = [find('hookpipe', small), find('sample', small), find('bare', small)];
    return {
      payload: small ? '1 KB' : '64 KB',
      throughputVsSample: ratio(h.saturation.twoxxPerSecond, s.saturation.twoxxPerSecond),
      cpuVsSample: ratio(h.saturation.cpuMicrosPerAccepted, s.saturation.cpuMicrosPerAccepted),
      p99VsSample: ratio(h.fixedRate.latency.p99, s.fixedRate.latency.p99),
      cpuVsBare: ratio(h.saturation.cpuMicrosPerAccepted, b.saturation.cpuMicrosPerAccepted),
    };
  });
  const mark = (ok: boolean) => (ok ? 'met' : '**missed**');
  const lines = [
    `# hookpipe benchmark, ${date}`,
    '',
    `All servers run compiled to JavaScript, as deployed. Machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; Pub/Sub and Firestore emulators on the same machine.`,
    `Load: autocannon in its own process, ${CONNECTIONS} connections, ${DURATION} s per measurement after a 2 s warm-up; the fixed rate is half the sample's saturation rate.`,
    '',
    '| contender | payload | 2xx/s at saturation | CPU µs per 2xx | peak RSS MB | p50 / p99 ms at fixed rate | fixed rate /s |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...run.results.map(
      (r) =>
        `| ${r.contender} | ${r.payloadBytes < 2048 ? '1 KB' : '64 KB'} | ${r.saturation.twoxxPerSecond} | ${r.saturation.cpuMicrosPerAccepted} | ${r.saturation.peakRssMB} | ${r.fixedRate.latency.p50} / ${r.fixedRate.latency.p99} | ${r.fixedRate.offered} |`,
    ),
    '',
    '## Targets, as ratios measured in this run',
    '',
    '| payload | hookpipe / sample 2xx/s (target >= 2.5) | hookpipe / sample CPU per 2xx (<= 0.4) | hookpipe / sample p99 (<= 0.5) | hookpipe / bare CPU per 2xx (<= 3) |',
    '| --- | --- | --- | --- | --- |',
    ...targets.map(
      (t) =>
        `| ${t.payload} | ${t.throughputVsSample} (${mark(t.throughputVsSample >= 2.5)}) | ${t.cpuVsSample} (${mark(t.cpuVsSample <= 0.4)}) | ${t.p99VsSample} (${mark(t.p99VsSample <= 0.5)}) | ${t.cpuVsBare} (${mark(t.cpuVsBare <= 3)}) |`,
    ),
    '',
    '```mermaid',
    'xychart-beta',
    '  title "2xx per second at saturation, 1 KB payload"',
    `  x-axis [${['bare', 'sample', 'hookpipe'].map((c) => `"${c}"`).join(', ')}]`,
    '  y-axis "2xx/s"',
    `  bar [${['bare', 'sample', 'hookpipe'].map((c) => find(c, true).saturation.twoxxPerSecond).join(', ')}]`,
    '```',
    '',
    '## The costs in the way',
    '',
    `Measured in this run: the bare server spends ${find('bare', true).saturation.cpuMicrosPerAccepted} µs of CPU per request (1 KB) and ${find('bare', false).saturation.cpuMicrosPerAccepted} µs (64 KB). The Pub/Sub client alone, publishing with the ingress's batching and ${CONNECTIONS} publishes in flight, spends ${run.clientFloor['1 KB']} µs per 1 KB message and ${run.clientFloor['64 KB']} µs per 64 KB message: the publish that the bare server skips costs ${ratio(run.clientFloor['1 KB']!, find('bare', true).saturation.cpuMicrosPerAccepted)} and ${ratio(run.clientFloor['64 KB']!, find('bare', false).saturation.cpuMicrosPerAccepted)} times the bare server's whole request, so "at most 3x the bare server" leaves little or nothing for verification, JSON parsing and HTTP framing. At 64 KB, the JSON parse that Stripe's event id and type require and the HMAC over the whole body add to it, as they do for the sample.`,
    '',
    '## Overload: hookpipe offered five times its saturation rate (1 KB)',
    '',
    `Offered ${run.overload.offered}/s, achieved ${run.overload.achieved}/s by the load generator; ${run.overload.twoxx} answered 2xx, ${run.overload.status503} answered 503, ${run.overload.otherNon2xx} other non-2xx, ${run.overload.errors} connection errors; latency p50 ${run.overload.latency.p50} ms, p99 ${run.overload.latency.p99} ms; peak RSS ${run.overload.peakRssMB} MB (${mark(run.overload.peakRssMB < 300)}, below 300); messages seen on the topic ${run.overload.publishedSeen}, 2xx without a published message: ${run.overload.twoxxWithoutPublish} (${mark(run.overload.twoxxWithoutPublish === 0)}).`,
    '',
    '## End to end: ingress 202 to a processed ledger entry',
    '',
    `Burst of ${run.e2e.burst.events} events: ${run.e2e.burst.eventsPerSecond} events/s (${run.e2e.burst.seconds} s from the first request to the last ledger entry). At a fixed ${run.e2e.fixedRate.offered} events/s: p50 ${run.e2e.fixedRate.p50} ms, p99 ${run.e2e.fixedRate.p99} ms from the ingress accepting to the handler's ledger entry (${run.e2e.fixedRate.events} events).`,
    '',
  ];
  return { markdown: lines.join('\n'), targets };
}

const started = new Date();
const run = await main();
const date = started.toISOString().slice(0, 19).replaceAll(':', '-');
const { markdown, targets } = report(run, started.toISOString());
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/${date}.json`, JSON.stringify({ date: started.toISOString(), duration: DURATION, connections: CONNECTIONS, ...run, targets }, null, 2));
writeFileSync(`bench/results/${date}.md`, markdown);
process.stdout.write(`${markdown}\nwritten: bench/results/${date}.json and .md\n`);
process.exit(0);
