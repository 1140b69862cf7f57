// The processor alone: push envelopes posted straight at /pubsub/push (no ingress, no Pub/Sub push in between), a
// no-op handler, push authentication off, LOG_LEVEL=warn, the ledger in the Firestore emulator. Reports, per number
// of connections, the events acked per second, the processor's CPU per event and the Firestore emulator's CPU per
// event shown apart (it shares the machine, so it takes CPU the processor could have used); and the Firestore
// client alone per ledger shape and transport (bench/firestore-floor.ts). CPU is read from /proc, as bench/run.ts
// does. `--root <dir>` measures the processor of another checkout (for example `git archive HEAD` unpacked, with a
// node_modules link), so a change can be compared with what it replaces in one run of the same script.
//
// Runs vary on a shared machine: `--rounds 2` measures the roots in turn, A B A B, so a burst of load elsewhere does
// not land on one of them alone.
//
//   node bench/processor-alone.ts [--connections 10,50] [--duration 10] [--root dir]... [--rounds n] [--profile dir]
//                                 [--no-floor] [--out results.json]
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { type Emulator, freePort, LOCAL_PROJECT, startEmulator } from '../scripts/emulators.ts';
import { ensureTopology, topologyWith } from '../shared/src/topology.ts';
import type { LoadResult } from './load.ts';
import { githubBody } from './payloads.ts';
import { cpuMicros, pidListeningOn } from './proc.ts';

const say = (text: string) => process.stderr.write(`${text}\n`);
const here = (file: string) => new URL(file, import.meta.url).pathname;

function childJson<T>(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolvePromise(JSON.parse(out) as T) : reject(new Error(`${args[0]} exited ${code}`))));
  });
}

async function healthy(url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the processor exited with ${child.exitCode}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ProcessorRun {
  connections: number;
  eventsPerSecond: number;
  non2xx: number;
  errors: number;
  processedInLedger: number;
  processorCpuMicrosPerEvent: number;
  emulatorCpuMicrosPerEvent: number;
  latency: LoadResult['latency'];
}

export interface ProcessorAloneOptions {
  /** The checkout whose processor is measured (compiled there, run from there). */
  root: string;
  /** Its compiled output (compileProcessor), when already built. */
  build?: string | undefined;
  connections: readonly number[];
  durationSeconds: number;
  firestoreHost: string;
  pubsubHost: string;
  /** Write a V8 CPU profile of the processor here (node --cpu-prof). */
  profileDir?: string | undefined;
  /** Load before measuring, unmeasured: the processor's JIT, its Firestore channel and the emulator's own JIT (10). */
  warmUpSeconds?: number | undefined;
}

/** Compiles the checkout's processor as deployed (tsc, as the Dockerfile's build does) into its own directory. */
export function compileProcessor(root: string): string {
  const out = resolve(root, '.tools/bench-processor-build');
  const tsc = resolve(root, 'node_modules/typescript/bin/tsc');
  const compiled = spawnSync(process.execPath, [tsc, '-p', resolve(root, 'bench/tsconfig.json'), '--outDir', out], {
    stdio: ['ignore', process.stderr, 'inherit'], // stdout is the report's
  });
  if (compiled.status !== 0) throw new Error(`the build of ${root} failed`);
  return out;
}

export async function measureProcessorAlone(options: ProcessorAloneOptions): Promise<ProcessorRun[]> {
  const build = options.build ?? compileProcessor(options.root);
  const env = {
    ...process.env,
    PUBSUB_EMULATOR_HOST: options.pubsubHost,
    FIRESTORE_EMULATOR_HOST: options.firestoreHost,
    GOOGLE_CLOUD_PROJECT: LOCAL_PROJECT,
    METADATA_SERVER_DETECTION: 'none',
  };
  // The clients find the emulators through the environment, as every other part of hookpipe does.
  process.env.PUBSUB_EMULATOR_HOST = options.pubsubHost;
  process.env.FIRESTORE_EMULATOR_HOST = options.firestoreHost;
  const pubsub = new PubSub({ projectId: LOCAL_PROJECT });
  const firestore = new Firestore({ projectId: LOCAL_PROJECT });
  const suffix = `-bench-processor-${Date.now()}`;
  const topology = topologyWith({ suffix });
  const collection = `bench-processor-ledger-${Date.now()}`;
  const port = await freePort();
  // The push subscription exists, as the processor reads its ack deadline and attempts at start-up; nothing is
  // published to its topic, so Pub/Sub never pushes: every envelope comes from the load generator.
  await ensureTopology(pubsub, topology, { pushEndpoint: `http://127.0.0.1:${port}/pubsub/push` });
  const processor = spawn(
    process.execPath,
    [...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : []), `${build}/processor/src/main.js`],
    {
      cwd: options.root,
      env: {
        ...env,
        PORT: String(port),
        HOOKPIPE_PUSH_AUTH: 'none',
        HOOKPIPE_HANDLERS: `${build}/bench/handlers.js`,
        HOOKPIPE_PUSH_SUBSCRIPTION: topology.pushSubscription,
        HOOKPIPE_DEAD_LETTER_TOPIC: topology.deadLetterTopic,
        HOOKPIPE_LEDGER_COLLECTION: collection,
        HOOKPIPE_ADMIN: 'false',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', process.stderr, 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}/pubsub/push`;
  const subscription = `projects/${LOCAL_PROJECT}/subscriptions/${topology.pushSubscription}`;
  const body = githubBody(1024).toString(); // the 1 KB webhook the rest of the benchmark sends
  const load = (connections: number, durationSeconds: number) =>
    childJson<LoadResult>([here('push-load.ts'), JSON.stringify({ url, body, subscription, connections, durationSeconds })], env);
  const processed = async () => (await firestore.collection(collection).where('status', '==', 'processed').count().get()).data().count;
  const runs: ProcessorRun[] = [];
  try {
    await healthy(`http://127.0.0.1:${port}/healthz`, processor);
    const emulator = pidListeningOn(Number(options.firestoreHost.slice(options.firestoreHost.lastIndexOf(':') + 1)));
    if (emulator === undefined) throw new Error(`no Firestore emulator process found for ${options.firestoreHost}`);
    say(`processor of ${options.root}: warm-up ...`);
    // A freshly started emulator costs several times its later CPU per write for its first seconds: measured here, that
    // would be charged to whichever processor runs first.
    await load(Math.max(...options.connections), options.warmUpSeconds ?? 10);
    for (const connections of options.connections) {
      const ledgerBefore = await processed();
      const [processorBefore, emulatorBefore] = [cpuMicros(processor.pid!), cpuMicros(emulator)];
      const result = await load(connections, options.durationSeconds);
      const [processorCpu, emulatorCpu] = [cpuMicros(processor.pid!) - processorBefore, cpuMicros(emulator) - emulatorBefore];
      const events = Math.max(1, result.twoxx);
      const run: ProcessorRun = {
        connections,
        eventsPerSecond: Math.round(result.twoxx / result.durationSeconds),
        non2xx: result.non2xx,
        errors: result.errors,
        processedInLedger: (await processed()) - ledgerBefore,
        processorCpuMicrosPerEvent: Math.round(processorCpu / events),
        emulatorCpuMicrosPerEvent: Math.round(emulatorCpu / events),
        latency: result.latency,
      };
      say(`  ${connections} connections: ${JSON.stringify(run)}`);
      runs.push(run);
    }
  } finally {
    await new Promise<void>((done) => {
      if (processor.exitCode !== null) return done();
      processor.once('exit', () => done());
      processor.kill('SIGTERM');
    });
    await Promise.all([pubsub.close(), firestore.terminate()]);
  }
  return runs;
}

export interface FirestoreFloor {
  transport: 'grpc' | 'rest';
  shape: 'transaction' | 'create-update' | 'bulk-create-update';
  inflight: number;
  events: number;
  microsPerEvent: number;
  eventsPerSecond: number;
}

/** The Firestore client alone, per ledger shape and transport, each in its own process. */
export async function measureFirestoreFloor(firestoreHost: string, inflight = 32): Promise<FirestoreFloor[]> {
  const env: NodeJS.ProcessEnv = { ...process.env, FIRESTORE_EMULATOR_HOST: firestoreHost, GOOGLE_CLOUD_PROJECT: LOCAL_PROJECT };
  env.METADATA_SERVER_DETECTION = 'none';
  const floors: FirestoreFloor[] = [];
  for (const shape of ['transaction', 'create-update', 'bulk-create-update'] as const) {
    for (const transport of ['grpc', 'rest'] as const) {
      try {
        const floor = await childJson<FirestoreFloor>([here('firestore-floor.ts'), transport, shape, String(inflight), '3000'], env);
        say(`  Firestore client alone: ${JSON.stringify(floor)}`);
        floors.push(floor);
      } catch (error) {
        // One shape failing (an emulator starved of CPU) leaves the others worth reporting; the report says which.
        say(`  Firestore client alone, ${shape} over ${transport}: ${(error as Error).message}`);
      }
    }
  }
  return floors;
}

export function processorRows(runs: readonly ProcessorRun[], label: string): string[] {
  return runs.map((r) => {
    const cells = [label, r.connections, r.eventsPerSecond, r.processorCpuMicrosPerEvent, r.emulatorCpuMicrosPerEvent];
    cells.push(`${r.latency.p50} / ${r.latency.p99}`, r.non2xx + r.errors, r.processedInLedger);
    return `| ${cells.join(' | ')} |`;
  });
}

export const PROCESSOR_TABLE_HEAD = [
  '| processor | connections | events/s | processor CPU µs/event | Firestore emulator CPU µs/event | p50 / p99 ms | non-2xx |' +
    ' processed in ledger |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
];

const SHAPES: Record<FirestoreFloor['shape'], string> = {
  transaction: 'a transaction (begin, get, commit) + an update, each event alone',
  'create-update': 'a create + an update, each event alone',
  'bulk-create-update': "a create + an update, batched with the other events' (processor/src/write-batcher.ts)",
};

async function main() {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '10,50' },
      duration: { type: 'string', default: '10' },
      root: { type: 'string', multiple: true },
      rounds: { type: 'string', default: '1' },
      profile: { type: 'string' },
      'no-floor': { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const roots = (values.root ?? ['.']).map((root) => resolve(root));
  const connections = values.connections.split(',').map(Number);
  const emulators: Emulator[] = await Promise.all([startEmulator('pubsub'), startEmulator('firestore')]);
  const [pubsubHost, firestoreHost] = emulators.map((e) => e.host) as [string, string];
  try {
    const builds = roots.map((root) => ({ root, build: compileProcessor(root) }));
    if (values.profile) mkdirSync(values.profile, { recursive: true });
    const measured: Array<{ root: string; round: number; runs: ProcessorRun[] }> = [];
    for (let round = 1; round <= Number(values.rounds); round += 1) {
      for (const { root, build } of builds) {
        const durationSeconds = Number(values.duration);
        const options = { root, build, connections, durationSeconds, firestoreHost, pubsubHost, profileDir: values.profile };
        measured.push({ root, round, runs: await measureProcessorAlone(options) });
      }
    }
    const floors = values['no-floor'] ? [] : await measureFirestoreFloor(firestoreHost);
    const lines = [
      `# The processor alone, ${new Date().toISOString()}`,
      '',
      `Push envelopes (a 1 KB GitHub push event, each a new delivery id) posted straight at /pubsub/push for ${values.duration} s per row`,
      'by autocannon in its own process; a no-op handler, push auth off, LOG_LEVEL=warn, the ledger in the Firestore emulator on the',
      'same machine (its CPU shown apart).',
      '',
      ...PROCESSOR_TABLE_HEAD,
      ...measured.flatMap(({ root, round, runs }) => processorRows(runs, values.rounds === '1' ? root : `${root} (round ${round})`)),
      '',
      ...(floors.length
        ? [
            '| Firestore client alone, 32 events in flight | transport | client CPU µs/event | events/s |',
            '| --- | --- | --- | --- |',
            ...floors.map((f) => `| ${SHAPES[f.shape]} | ${f.transport} | ${f.microsPerEvent} | ${f.eventsPerSecond} |`),
            '',
          ]
        : []),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (values.out) writeFileSync(values.out, JSON.stringify({ date: new Date().toISOString(), measured, floors }, null, 2));
  } finally {
    await Promise.all(emulators.map((e) => e.stop()));
  }
}

if (import.meta.main) {
  await main();
  process.exit(0);
}
