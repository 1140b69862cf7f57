// Stopping a service the way Cloud Run stops an instance: SIGTERM, a bounded drain of the work under way, then exit
// before SIGKILL. Shared by the ingress and the processor.
import type { Server } from 'node:http';
import { ConfigError } from './errors.ts';
import type { Logger } from './logger.ts';

/**
 * Cloud Run sends SIGTERM, then SIGKILL 10 s later, to an instance it stops: a shutdown must be over within that
 * ("your application will have 10 seconds to exit", https://cloud.google.com/blog/topics/developers-practitioners/
 * graceful-shutdowns-cloud-run-deep-dive; the container contract, https://cloud.google.com/run/docs/container-contract).
 */
export const CLOUD_RUN_KILL_AFTER_MS = 10_000;

/** What a shutdown keeps, past the work under way, to answer what it cut short, flush and close its clients. */
const SETTLE_MS = 2_000;

/**
 * How long, of a shutdown budget, the work under way may still take; past it, it is cut short, so that the rest of
 * the budget answers and closes before the watchdog (and, on Cloud Run, SIGKILL) ends the process mid-write.
 */
export function drainDeadlineMs(shutdownTimeoutMs: number): number {
  return shutdownTimeoutMs - Math.min(SETTLE_MS, Math.floor(shutdownTimeoutMs / 2));
}

/** Aborts `controller` with `reason()` once `ms` have passed, unless stopped first; returns the stop. */
export function abortAfter(controller: AbortController, ms: number, reason: () => Error): () => void {
  const timer = setTimeout(() => controller.abort(reason()), ms);
  timer.unref();
  return () => clearTimeout(timer);
}

/**
 * Stops a server the way Cloud Run wants on SIGTERM: no new connections, the work under way finished (`drain`),
 * then the connections still open closed. Keep-alive clients would otherwise hold the server open: responses sent
 * while shutting down carry `Connection: close` (see the services' middleware), and what is left after a short
 * grace is closed.
 */
export async function closeServer(server: Server, drain: () => Promise<void>, graceMs = 1000): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await drain();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}

/**
 * A service's process: start it, stop it on SIGTERM or SIGINT (exit 0 once stopped, 1 if stopping failed), and
 * turn a configuration error into one readable line and exit code 2.
 */
export async function runService(
  name: string,
  start: () => Promise<{ shutdown(signal: string): Promise<void>; logger: Logger }>,
): Promise<void> {
  try {
    const service = await start();
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        service.shutdown(signal).then(
          () => process.exit(0),
          (error: unknown) => {
            service.logger.error({ error: String(error) }, 'shutdown failed');
            process.exit(1);
          },
        );
      });
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${name}: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

/** Past the deadline a stuck shutdown ends the process anyway, before Cloud Run's SIGKILL, saying so. */
export function shutdownWatchdog(ms: number, logger: Logger, state: () => object): () => void {
  const timer = setTimeout(() => {
    logger.error(state(), 'shutdown timed out');
    logger.flush();
    process.exit(1);
  }, ms);
  timer.unref();
  return () => clearTimeout(timer);
}
