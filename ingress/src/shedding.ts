// When the ingress refuses a webhook before publishing it: only when Pub/Sub is in trouble or memory is at risk, never
// because many publishes are under way. With a Cloud Run concurrency of N, N publishes are outstanding while Pub/Sub
// answers in milliseconds (field notes), so a bound on their count refused healthy traffic; what marks trouble is time.
//
// - Pub/Sub in trouble: no publish has been confirmed within `slowMs` of being sent during the last `slowMs`, and either
//   one has been outstanding longer than that (a stall: shedding starts `slowMs` after it) or the last publish to settle
//   took longer (slow confirmations, or failures at the deadline). One stuck request among fast ones is not trouble:
//   the fast ones keep proving Pub/Sub healthy. While in trouble, one publish at a time still goes through: a probe. A
//   confirmed probe ends the trouble, however long it took (the first publish after an outage also reconnects), so
//   shedding stops as soon as Pub/Sub confirms again: the probe's RPC retries until its deadline, so it lands once
//   Pub/Sub is back, or fails at its deadline and the next probe goes. If Pub/Sub is merely slow, what is let through
//   after a probe shows it again `slowMs` later: with confirmations taking L, about slowMs / (L + slowMs) gets through.
//   Until a first publish has settled, nothing is judged: a new instance's first publishes also open the client's
//   connection and fetch its credentials, which on a busy machine takes longer than `slowMs` with Pub/Sub healthy.
//   If Pub/Sub does not answer from the start, the first publish fails at its deadline and shedding begins.
// - Memory: a body being published is held in the body budget (body-budget.ts) until its request is answered; a publish
//   that outlives its request (its deadline passed, the caller got 503) holds bytes no request accounts for. Past
//   `maxLateBytes` of those, new publishes are refused. Healthy traffic has no late publishes, and the Publish RPC is
//   cancelled at the publish's deadline (shared/src/pubsub.ts), so this is a backstop.
//
// No bound on the number of publishes: Cloud Run's concurrency bounds the requests, the body budget their bytes.
import { configError } from '../../shared/src/config.ts';
import { HttpError } from '../../shared/src/errors.ts';

export interface SheddingLimits {
  /** How long Pub/Sub may take to confirm before it counts as in trouble. */
  slowMs: number;
  /** Bytes of publishes still outstanding after their request was answered, beyond which new ones are refused. */
  maxLateBytes: number;
}

/** One publish under way, kept in a list in the order the publishes started, so the oldest is always the first. */
export interface OutstandingPublish {
  readonly startedAt: number;
  readonly bytes: number;
  /** Let through while Pub/Sub was in trouble, to find out whether it still is. */
  readonly probe: boolean;
  late: boolean;
  settled: boolean;
  previous: OutstandingPublish | undefined;
  next: OutstandingPublish | undefined;
}

export interface PublishTracker {
  /** A publish about to start, counted as outstanding; or the reason to refuse it now (503 with Retry-After). */
  admit(bytes: number): OutstandingPublish | HttpError;
  /** The caller's deadline passed and it was answered: the publish's bytes are no longer held by a request. */
  late(publish: OutstandingPublish): void;
  settled(publish: OutstandingPublish, confirmed: boolean): void;
  outstanding(): { messages: number; bytes: number };
}

/** Five seconds: the same wait as any other 503 of the ingress, long enough for a stuck publish to reach its deadline. */
const RETRY_AFTER_SECONDS = 5;

export function createPublishTracker(limits: SheddingLimits, now: () => number = Date.now): PublishTracker {
  let oldest: OutstandingPublish | undefined;
  let newest: OutstandingPublish | undefined;
  let messages = 0;
  let bytes = 0;
  let late = 0;
  let anySettled = false;
  let lastFast = Number.NEGATIVE_INFINITY;
  let lastSlow = Number.NEGATIVE_INFINITY;
  let lastProbe: OutstandingPublish | undefined;

  function unlink(publish: OutstandingPublish): void {
    if (publish.previous) publish.previous.next = publish.next;
    else oldest = publish.next;
    if (publish.next) publish.next.previous = publish.previous;
    else newest = publish.previous;
    publish.previous = undefined;
    publish.next = undefined;
  }

  function inTrouble(at: number): boolean {
    if (!anySettled || at - lastFast <= limits.slowMs) return false;
    return lastSlow > lastFast || (oldest !== undefined && at - oldest.startedAt > limits.slowMs);
  }

  function start(size: number, at: number, probe: boolean): OutstandingPublish {
    const publish: OutstandingPublish = {
      startedAt: at,
      bytes: size,
      probe,
      late: false,
      settled: false,
      previous: newest,
      next: undefined,
    };
    if (newest) newest.next = publish;
    else oldest = publish;
    newest = publish;
    messages += 1;
    bytes += size;
    return publish;
  }

  return {
    admit(size) {
      if (late > limits.maxLateBytes) {
        return new HttpError('overloaded', 'the ingress holds too many publishes Pub/Sub has not confirmed; retry shortly', {
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        });
      }
      const at = now();
      if (!inTrouble(at)) return start(size, at, false);
      if (lastProbe === undefined || lastProbe.settled) {
        lastProbe = start(size, at, true);
        return lastProbe;
      }
      return new HttpError('overloaded', 'Pub/Sub is not confirming publishes in time; retry shortly', {
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      });
    },

    late(publish) {
      if (publish.settled || publish.late) return;
      publish.late = true;
      late += publish.bytes;
    },

    settled(publish, confirmed) {
      if (publish.settled) return;
      publish.settled = true;
      anySettled = true;
      unlink(publish);
      messages -= 1;
      bytes -= publish.bytes;
      if (publish.late) late -= publish.bytes;
      const at = now();
      const slow = at - publish.startedAt > limits.slowMs;
      if (confirmed && (!slow || publish.probe)) lastFast = at;
      else if (slow) lastSlow = at;
    },

    outstanding: () => ({ messages, bytes }),
  };
}

export interface SheddingSettings {
  memoryBytes: number;
  publishTimeoutMs: number;
  /** Set to override the defaults. */
  slowMs?: number | undefined;
  maxLateBytes?: number | undefined;
}

/**
 * One second: healthy Pub/Sub confirms in tens of milliseconds, and the client's own retries of a transient error start
 * at 100 ms, so a second is trouble. Never more than half the publish deadline, or a stall would be found only after
 * the first callers had already waited for theirs.
 */
export const DEFAULT_SLOW_MS = 1000;

/**
 * A thirty-second of the memory (32 MiB of 1 GiB) for publishes that outlived their request. They exist only while
 * Pub/Sub is in trouble and its RPC is cancelled at the publish's deadline, so this is a backstop. infra/ingress-memory.test.ts
 * holds it, twice the body budget and the process's measured peak within the memory limit Terraform gives.
 */
export const LATE_BYTES_SHARE_OF_MEMORY = 1 / 32;

/** The limits from their settings, refused with every problem named by its variable, as config.ts does. */
export function sheddingLimits(settings: SheddingSettings): SheddingLimits {
  const slowMs = settings.slowMs ?? Math.min(DEFAULT_SLOW_MS, Math.floor(settings.publishTimeoutMs / 2));
  const maxLateBytes = settings.maxLateBytes ?? Math.floor(settings.memoryBytes * LATE_BYTES_SHARE_OF_MEMORY);
  const problems: string[] = [];
  if (slowMs >= settings.publishTimeoutMs) {
    problems.push(
      `HOOKPIPE_PUBLISH_SLOW_MS: ${slowMs} ms is not below HOOKPIPE_PUBLISH_TIMEOUT_MS (${settings.publishTimeoutMs} ms): ` +
        'callers would get their deadline before a stall is noticed',
    );
  }
  if (maxLateBytes > settings.memoryBytes / 8) {
    problems.push(
      `HOOKPIPE_MAX_LATE_PUBLISH_BYTES: at most an eighth of the instance's memory (HOOKPIPE_MEMORY_LIMIT, ${settings.memoryBytes} bytes)`,
    );
  }
  if (problems.length > 0) throw configError(problems);
  return { slowMs, maxLateBytes };
}
