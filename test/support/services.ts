// A service in its own process, as Cloud Run runs it (`node ingress/src/main.ts`), for the tests that signal or
// kill it: ready once it logs that it listens, its JSON log lines kept for the test to read and wait on.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { LogEntry } from './log-capture.ts';
import { waitFor } from './wait.ts';

export type ServiceName = 'ingress' | 'processor';

export interface ServiceProcess {
  child: ChildProcess;
  port: number;
  /** How and when it ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Every line it wrote to stdout, parsed; a line that is not JSON is kept as its `message`. */
  logs: LogEntry[];
  /** Its lines at ERROR and above, as written: to explain a failure, or to check there were none. */
  readonly problems: string[];
  /** The first line, already written or to come, that matches. */
  waitForLog(what: string, match: (entry: LogEntry) => boolean, timeoutMs?: number): Promise<LogEntry>;
}

/** Starts `node <service>/src/main.ts` with `env` (stderr shown) and resolves with its port once it listens. */
export function spawnService(service: ServiceName, env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [`${service}/src/main.ts`], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const logs: LogEntry[] = [];
  const waitForLog = (what: string, match: (entry: LogEntry) => boolean, timeoutMs?: number) =>
    waitFor(`${service} to log ${what}`, () => logs.find(match), timeoutMs);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: LogEntry;
      try {
        entry = JSON.parse(line) as LogEntry;
      } catch {
        entry = { message: line };
      }
      logs.push(entry);
      if (entry.message === `${service} listening`) {
        resolve({
          child,
          port: entry.port as number,
          exited,
          logs,
          get problems() {
            return logs.filter((e) => e.severity === 'ERROR' || e.severity === 'CRITICAL').map((e) => JSON.stringify(e));
          },
          waitForLog,
        });
      }
    });
    void exited.then(({ code, signal }) => reject(new Error(`the ${service} exited (${code ?? signal}) before listening`)));
  });
}

/** The ingress in its own process with `env`, on a port it picks, logging at info. */
export const spawnIngress = (env: NodeJS.ProcessEnv): Promise<ServiceProcess> =>
  spawnService('ingress', { ...env, PORT: '0', LOG_LEVEL: 'info' });

/** The delivery outcomes a processor logged, by delivery id, in order. */
export function outcomesOf(processor: ServiceProcess): Map<string, string[]> {
  const outcomes = new Map<string, string[]>();
  for (const entry of processor.logs) {
    if (entry.deliveryId && entry.outcome) outcomes.set(entry.deliveryId, [...(outcomes.get(entry.deliveryId) ?? []), entry.outcome]);
  }
  return outcomes;
}
