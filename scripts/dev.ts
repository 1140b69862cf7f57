// `npm start`: the whole pipeline on one machine. Starts the Pub/Sub and Firestore emulators unless
// PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST point at running ones, creates the topology with the processor's
// push subscription, runs each service as its own process (configured from the environment only, as on Cloud
// Run) and prints their JSON logs as short readable lines.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createPubSub } from '../shared/src/pubsub.ts';
import { ensureTopology, TOPOLOGY } from '../shared/src/topology.ts';
import { type Emulator, LOCAL_PROJECT, startEmulator } from './emulators.ts';

const INGRESS_PORT = Number(process.env.INGRESS_PORT ?? 8080);
const PROCESSOR_PORT = Number(process.env.PROCESSOR_PORT ?? 8081);
const emulators: Emulator[] = [];
const children: ChildProcess[] = [];

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** One JSON log line as `time service SEVERITY message key=value ...`; anything else as it came. */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, service, severity, message, httpRequest, ...rest } = entry;
  const http = httpRequest as { requestMethod?: string; requestUrl?: string; status?: number; latency?: string } | undefined;
  const parts = [String(time ?? '').slice(11, 23), String(service ?? ''), String(severity ?? ''), String(message ?? '')];
  if (http) parts.push(`${http.requestMethod} ${http.requestUrl} ${http.status} ${http.latency}`);
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) parts.push(`${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  }
  return parts.join(' ');
}

function run(name: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => say(formatLogLine(line)));
  }
  child.once('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? code}); stopping the stack`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
async function stop(code: number): Promise<never> {
  stopping = true;
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  await Promise.all(emulators.map((emulator) => emulator.stop()));
  rmSync('.hookpipe/local.json', { force: true });
  process.exit(code);
}

async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the process behind ${url} exited`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main(): Promise<void> {
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  const env: NodeJS.ProcessEnv = { ...process.env };
  const wanted = (['pubsub', 'firestore'] as const).filter((kind) => !env[`${kind.toUpperCase()}_EMULATOR_HOST`]);
  if (wanted.length > 0) say(`starting the ${wanted.join(' and ')} emulator${wanted.length > 1 ? 's' : ''} ...`);
  for (const emulator of await Promise.all(wanted.map((kind) => startEmulator(kind)))) {
    emulators.push(emulator);
    env[`${emulator.kind.toUpperCase()}_EMULATOR_HOST`] = emulator.host;
  }
  env.GOOGLE_CLOUD_PROJECT ??= LOCAL_PROJECT;
  // Locally there is no metadata server to find; asking for one only prints warnings.
  env.METADATA_SERVER_DETECTION ??= 'none';
  process.env.METADATA_SERVER_DETECTION = env.METADATA_SERVER_DETECTION;
  env.HOOKPIPE_SOURCES ??= 'config/sources.local.yaml';
  say(
    `Pub/Sub emulator at ${env.PUBSUB_EMULATOR_HOST}, Firestore emulator at ${env.FIRESTORE_EMULATOR_HOST}, project ${env.GOOGLE_CLOUD_PROJECT}`,
  );

  process.env.PUBSUB_EMULATOR_HOST = env.PUBSUB_EMULATOR_HOST;
  // So that `hookpipe dlq ...` and `hookpipe events ...` in another terminal find these emulators.
  mkdirSync('.hookpipe', { recursive: true });
  writeFileSync(
    '.hookpipe/local.json',
    JSON.stringify({
      PUBSUB_EMULATOR_HOST: env.PUBSUB_EMULATOR_HOST,
      FIRESTORE_EMULATOR_HOST: env.FIRESTORE_EMULATOR_HOST,
      GOOGLE_CLOUD_PROJECT: env.GOOGLE_CLOUD_PROJECT,
    }),
  );
  const pubsub = createPubSub(env.GOOGLE_CLOUD_PROJECT);
  const pushEndpoint = `http://127.0.0.1:${PROCESSOR_PORT}/pubsub/push`;
  await ensureTopology(pubsub, TOPOLOGY, { pushEndpoint });
  await pubsub.close();
  say(
    `topology ready: topic ${TOPOLOGY.topic} pushed to ${pushEndpoint} (subscription ${TOPOLOGY.pushSubscription}), ` +
      `dead-letter topic ${TOPOLOGY.deadLetterTopic} (subscription ${TOPOLOGY.deadLetterSubscription})`,
  );

  // The emulator sends no OIDC token, so push authentication is off here, and only here.
  const processor = run('processor', 'processor/src/main.ts', { ...env, PORT: String(PROCESSOR_PORT), HOOKPIPE_PUSH_AUTH: 'none' });
  // Locally every accepted webhook is shown; in production those lines are debug (Cloud Run logs each request).
  const ingress = run('ingress', 'ingress/src/main.ts', { LOG_LEVEL: 'debug', ...env, PORT: String(INGRESS_PORT) });
  await Promise.all([
    waitFor(`http://127.0.0.1:${PROCESSOR_PORT}/healthz`, processor),
    waitFor(`http://127.0.0.1:${INGRESS_PORT}/healthz`, ingress),
  ]);

  say(`
hookpipe is running.
  ingress    http://localhost:${INGRESS_PORT}/webhooks/<source>   (sources: ${env.HOOKPIPE_SOURCES})
  processor  http://localhost:${PROCESSOR_PORT}/pubsub/push          (handlers: ${env.HOOKPIPE_HANDLERS ?? 'processor/src/examples/handlers.ts'})

Send a first webhook from another terminal, and watch it be processed here:
  npx hookpipe send stripe
Send the same event again, as a provider's retry would (the processor logs it as a duplicate):
  npx hookpipe send stripe --resend
See what happened, and operate on what failed:
  npx hookpipe events list            npx hookpipe dlq list          npx hookpipe dlq redrive --source stripe
  admin page: http://localhost:${PROCESSOR_PORT}/admin
Or by hand (it will be refused: the signature is missing):
  curl -i -X POST http://localhost:${INGRESS_PORT}/webhooks/stripe -d '{}'

Ctrl-C stops everything.
`);
}

main().catch(async (error: unknown) => {
  say(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  await stop(1);
});
