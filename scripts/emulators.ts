// Starts Google's official Pub/Sub and Firestore emulators (through gcloud) on free ports, waits until they
// answer, and stops them with their Java children. Used by `npm start`, `npm test` and the benchmarks.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type EmulatorKind = 'pubsub' | 'firestore';

export interface Emulator {
  kind: EmulatorKind;
  /** host:port, as PUBSUB_EMULATOR_HOST and FIRESTORE_EMULATOR_HOST take it. */
  host: string;
  stop(): Promise<void>;
}

export const LOCAL_PROJECT = 'hookpipe-local';

const INSTALL_HINT: Record<EmulatorKind, string> = {
  pubsub:
    'The Pub/Sub emulator needs the Google Cloud CLI with its emulator and Java 17 or newer: ' +
    '`gcloud components install beta pubsub-emulator`, or on Debian/Ubuntu ' +
    '`apt-get install google-cloud-cli google-cloud-cli-pubsub-emulator openjdk-17-jre-headless`. ' +
    'Or point PUBSUB_EMULATOR_HOST at an emulator you run yourself.',
  firestore:
    'The Firestore emulator needs the Google Cloud CLI with its emulator and Java 17 or newer: ' +
    '`gcloud components install cloud-firestore-emulator`, or on Debian/Ubuntu ' +
    '`apt-get install google-cloud-cli google-cloud-cli-firestore-emulator openjdk-17-jre-headless`. ' +
    'Or point FIRESTORE_EMULATOR_HOST at an emulator you run yourself.',
};

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function answers(host: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  // Last resort, so that no emulator outlives the process that started it.
  for (const child of running) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

export async function startEmulator(kind: EmulatorKind, options: { port?: number; timeoutMs?: number } = {}): Promise<Emulator> {
  try {
    return await launch(kind, options);
  } catch (error) {
    // A free port can be taken between finding it and the emulator binding it: try once more on another.
    if (options.port !== undefined || (error as Error).message.includes('gcloud was not found')) throw error;
    return launch(kind, options);
  }
}

async function launch(kind: EmulatorKind, options: { port?: number; timeoutMs?: number }): Promise<Emulator> {
  const port = options.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), `hookpipe-${kind}-`));
  const args =
    kind === 'pubsub'
      ? ['beta', 'emulators', 'pubsub', 'start', `--host-port=${host}`, `--project=${LOCAL_PROJECT}`, `--data-dir=${dataDir}`]
      : ['emulators', 'firestore', 'start', `--host-port=${host}`];
  // Its own process group, so stop() reaches the Java process gcloud starts.
  const child = spawn('gcloud', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);

  const exited = new Promise<Error>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve(
        new Error(error.code === 'ENOENT' ? `gcloud was not found on PATH. ${INSTALL_HINT[kind]}` : `${kind} emulator: ${error.message}`),
      ),
    );
    child.once('exit', (code) => {
      running.delete(child);
      resolve(new Error(`the ${kind} emulator exited (code ${code}) before it answered. ${INSTALL_HINT[kind]}\n${output.trim()}`));
    });
  });

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    running.delete(child);
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let failure: Error | undefined;
  void exited.then((error) => (failure = error));
  while (!(await answers(host))) {
    if (failure) throw failure;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the ${kind} emulator did not answer on ${host} within ${options.timeoutMs ?? 60_000} ms.\n${output.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.stdout!.resume();
  child.stderr!.resume();
  return { kind, host, stop };
}
