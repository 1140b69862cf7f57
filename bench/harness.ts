// What every ingress benchmark does the same way: start a server in its own process and wait for its port, send one
// load job through bench/load.ts (autocannon in its own process), and measure a point: the server's CPU from /proc
// over the load, per 2xx. bench/run.ts (the curves) and bench/tracing-cost.ts (today's ingress beside an older one)
// both measure through here, so their numbers mean the same thing.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from '../scripts/emulators.ts';
import type { DeployedService } from './deployed.ts';
import type { LoadJob, LoadResult } from './load.ts';
import { BENCH_SECRET } from './payloads.ts';
import { cpuMicros } from './proc.ts';
import type { CurvePoint } from './report.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `node <args>` and parses what it prints as JSON. */
export function childJson<T>(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`${args[0]} exited with ${code}`))));
  });
}

export const runLoad = (job: Omit<LoadJob, 'secret'>) =>
  childJson<LoadResult>(['bench/load.ts', JSON.stringify({ secret: BENCH_SECRET, ...job } satisfies LoadJob)]);

async function listening(port: number, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
}

export interface Server {
  name: string;
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/** `node <entry>` with PORT set, from `cwd` (where relative paths in its settings, such as HOOKPIPE_SOURCES, resolve). */
export async function startServer(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  options: { port?: number | undefined; cwd?: string } = {},
): Promise<Server> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [entry], {
    cwd: options.cwd,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
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

/** The hookpipe ingress's environment: the deployed settings, the benchmark's GitHub secret and topic. */
export const ingressEnv = (deployed: DeployedService, topic: string): NodeJS.ProcessEnv => ({
  ...deployed.env,
  GITHUB_WEBHOOK_SECRET: BENCH_SECRET,
  // The other source of the deployed sources file; its secret only has to exist.
  STRIPE_WEBHOOK_SECRET: 'unused-in-the-benchmark',
  HOOKPIPE_TOPIC: topic,
});

/** A status other than 2xx and 503 means the benchmark's own requests are wrong: nothing it measured would mean anything. */
export function checkAnswers(server: Server, result: LoadResult): void {
  const wrong = Object.keys(result.statusCodes).filter((code) => !code.startsWith('2') && code !== '503');
  if (wrong.length) throw new Error(`${server.name} answered ${wrong.join(', ')}: the benchmark's requests are not what it expects`);
}

export interface PointLoad {
  url: string;
  payloadBytes: number;
  connections: number;
  /** Seconds of load first, not measured (0: none). */
  warmupSeconds: number;
  durationSeconds: number;
  headers?: Record<string, string> | undefined;
}

/** A warm-up, then the measured load: the server's CPU per 2xx, and the Pub/Sub emulator's when its pid is given. */
export async function measurePoint(server: Server, load: PointLoad, pubsubPid?: number): Promise<CurvePoint> {
  const { url, payloadBytes, connections, headers } = load;
  if (load.warmupSeconds > 0)
    checkAnswers(server, await runLoad({ url, payloadBytes, connections, headers, durationSeconds: load.warmupSeconds }));
  const before = [cpuMicros(server.child.pid!), pubsubPid ? cpuMicros(pubsubPid) : 0];
  const result = await runLoad({ url, payloadBytes, connections, headers, durationSeconds: load.durationSeconds });
  const after = [cpuMicros(server.child.pid!), pubsubPid ? cpuMicros(pubsubPid) : 0];
  checkAnswers(server, result);
  const per2xx = (micros: number) => Math.round(micros / Math.max(1, result.twoxx));
  return {
    connections,
    requests: result.requests,
    twoxx: result.twoxx,
    twoxxPerSecond: Math.round(result.twoxx / result.durationSeconds),
    cpuMicrosPer2xx: per2xx(after[0]! - before[0]!),
    pubsubEmulatorMicrosPer2xx: pubsubPid && server.name !== 'bare' ? per2xx(after[1]! - before[1]!) : undefined,
    non2xx: result.non2xx,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodes).map(([code, { count }]) => [code, count])),
    errors: result.errors,
    timeouts: result.timeouts,
    latency: result.latency,
  };
}
