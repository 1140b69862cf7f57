import { createLogger } from '../../shared/src/logger.ts';
import { waitFor } from './wait.ts';

export type LogEntry = Record<string, unknown> & { message?: string; outcome?: string; deliveryId?: string };

/** A logger whose JSON lines the test can read and wait on. */
export function captureLogs(service: string) {
  const entries: LogEntry[] = [];
  const logger = createLogger({
    service,
    level: 'debug',
    destination: { write: (line: string) => void entries.push(JSON.parse(line) as LogEntry) },
  });
  return {
    logger,
    entries,
    deliveries: (deliveryId: string) => entries.filter((e) => e.deliveryId === deliveryId && typeof e.outcome === 'string'),
    waitForOutcome: (deliveryId: string, outcome: string, count = 1, timeoutMs?: number) =>
      waitFor(
        `${count} "${outcome}" outcome(s) for ${deliveryId}`,
        () => {
          const matching = entries.filter((e) => e.deliveryId === deliveryId && e.outcome === outcome);
          return matching.length >= count && matching;
        },
        timeoutMs,
      ),
  };
}
