// The instance's budget of request-body bytes held at once. Bodies are buffered whole before their signature can be
// checked, so without it a stranger's concurrent large unsigned posts (110 of 9 MB at Cloud Run's concurrency of
// 250) run a 1 GiB instance out of memory, and Cloud Run then kills the instance with every request in flight on it
// (https://cloud.google.com/run/docs/configuring/services/memory-limits: "instances that exceed their allowed memory
// limit are terminated"). Past the budget a body is refused with 503 before it is read (body.ts, app.ts).
//
// Small webhooks keep a reserved share. Large bodies draw from a capped pool (the budget less that share); small
// ones may use the whole budget. The share is sized so that it cannot run out: a request holds its reservation only
// while it lives, Cloud Run sends an instance at most `concurrency` requests at once, so small bodies never hold more
// than concurrency x smallBodyBytes together. Hostile large bodies can fill their pool, and then only large bodies
// wait; the signed small webhooks that are nearly all real traffic are never refused for memory. (The alternative, a
// share per source or per sender, needs to know who is hostile before the body is verified, which is the problem.)
import os from 'node:os';
import { configError } from '../../shared/src/config.ts';
import { HttpError } from '../../shared/src/errors.ts';

export interface BodyBudgetLimits {
  /** Bytes of request bodies the instance holds at once, small and large together. */
  totalBytes: number;
  /** A body at most this large is small: it may use the whole budget. */
  smallBodyBytes: number;
  /** Bytes large bodies may not take: concurrency x smallBodyBytes. */
  reservedForSmallBytes: number;
}

/** One request's reservation. It grows as its body is read and is released once, when the request is answered. */
export interface BodyHold {
  readonly bytes: number;
  /** Whether a reservation was refused: the request is answered 503 and its connection closed. */
  readonly refused: boolean;
  /** Grows the reservation to `total` bytes; false, and nothing reserved, when the budget cannot take it. */
  reserveUpTo(total: number): boolean;
  release(): void;
}

export interface BodyBudget {
  readonly limits: BodyBudgetLimits;
  hold(): BodyHold;
  usage(): { smallBytes: number; largeBytes: number };
}

/** For callers without a budget (tests of other parts, other runtimes): every reservation fits. */
export const UNBOUNDED_HOLD: BodyHold = { bytes: 0, refused: false, reserveUpTo: () => true, release: () => {} };

/**
 * 503, so the provider retries. Five seconds: a reservation is freed when its sender finishes or the request timeout
 * cuts it off (30 s on Cloud Run here), so an instant retry would mostly be refused again.
 */
export function overBudget(): HttpError {
  const message = 'the ingress is holding as many request bodies as its memory allows; retry shortly';
  return new HttpError('overloaded', message, { retryAfterSeconds: 5 });
}

export function createBodyBudget(limits: BodyBudgetLimits): BodyBudget {
  const largeCap = limits.totalBytes - limits.reservedForSmallBytes;
  let small = 0;
  let large = 0;
  return {
    limits,
    usage: () => ({ smallBytes: small, largeBytes: large }),
    hold() {
      let bytes = 0;
      let isLarge = false;
      let refused = false;
      let released = false;
      return {
        get bytes() {
          return bytes;
        },
        get refused() {
          return refused;
        },
        reserveUpTo(total) {
          if (total <= bytes) return true;
          const grow = total - bytes;
          const nowLarge = total > limits.smallBodyBytes;
          // A body that turns large (a chunked one passing the threshold) moves everything it holds into the large pool.
          const intoLarge = !nowLarge ? 0 : isLarge ? grow : total;
          if (released || small + large + grow > limits.totalBytes || large + intoLarge > largeCap) {
            refused = true;
            return false;
          }
          if (nowLarge && !isLarge) {
            small -= bytes;
            isLarge = true;
          }
          if (nowLarge) large += intoLarge;
          else small += grow;
          bytes = total;
          return true;
        },
        release() {
          if (released) return;
          released = true;
          if (isLarge) large -= bytes;
          else small -= bytes;
          bytes = 0;
        },
      };
    },
  };
}

/**
 * The instance's memory when HOOKPIPE_MEMORY_LIMIT does not say it (local runs). Cloud Run tells the container its
 * port and names but not its memory (https://cloud.google.com/run/docs/container-contract), and the first-generation
 * environment emulates the kernel rather than giving cgroups
 * (https://cloud.google.com/run/docs/about-execution-environments), so on Cloud Run Terraform passes the limit
 * itself (infra/ingress-memory.test.ts holds it equal to the container's). Elsewhere: the cgroup limit Node reads
 * (`process.constrainedMemory()`, 0 or an enormous number when there is none), else the machine's memory.
 */
export function detectMemoryBytes(): number {
  const total = os.totalmem();
  const constrained = process.constrainedMemory();
  return constrained > 0 && constrained < total ? constrained : total;
}

export interface BodyBudgetSettings {
  memoryBytes: number;
  /** Requests Cloud Run sends one instance at once (max_instance_request_concurrency). */
  concurrency: number;
  smallBodyBytes: number;
  /** Set to override the default derived from memory. */
  totalBytes?: number | undefined;
}

/**
 * The default budget is a quarter of the instance's memory. A body is in memory up to twice while held (its chunks,
 * then the Buffer they are joined into; or the Buffer, then the publish request encoding it), so the budget costs at
 * most half the memory; the other half is for Node and V8 (the benchmark peaked at 353 MB RSS at five times the
 * ingress's saturation rate, bodies of 1 KB), the publisher's outstanding bytes (32 MiB by default: it keeps a body
 * whose request timed out, after the request has released its reservation) and a signed JSON body being parsed. At
 * 1 GiB and concurrency 250: 256 MiB, of which 62.5 MiB (250 x 256 KiB) kept for small bodies, leaving 193.5 MiB for
 * large ones, twenty 9.5 MB bodies at once (against 250 x 9.5 MB = 2.4 GB unbounded); worst case 2 x 256 MiB + 32 MiB
 * + 353 MB = 897 MB of 1,024 MiB.
 */
export const BODY_BUDGET_SHARE_OF_MEMORY = 1 / 4;

/** The budget's limits from its settings, refused with every problem named by its variable, as config.ts does. */
export function bodyBudgetLimits(settings: BodyBudgetSettings): BodyBudgetLimits {
  const totalBytes = settings.totalBytes ?? Math.floor(settings.memoryBytes * BODY_BUDGET_SHARE_OF_MEMORY);
  const reservedForSmallBytes = settings.concurrency * settings.smallBodyBytes;
  const problems: string[] = [];
  if (totalBytes > settings.memoryBytes / 2) {
    problems.push(
      `HOOKPIPE_BODY_BUDGET_BYTES: at most half of the instance's memory (HOOKPIPE_MEMORY_LIMIT, ${settings.memoryBytes} bytes): ` +
        'a held body may be in memory twice',
    );
  }
  if (reservedForSmallBytes >= totalBytes) {
    problems.push(
      `HOOKPIPE_BODY_BUDGET_BYTES: ${totalBytes} bytes leave nothing for large bodies once HOOKPIPE_CONCURRENCY x ` +
        `HOOKPIPE_SMALL_BODY_BYTES (${reservedForSmallBytes}) is kept for small ones`,
    );
  }
  if (problems.length > 0) throw configError(problems);
  return { totalBytes, smallBodyBytes: settings.smallBodyBytes, reservedForSmallBytes };
}

/** A source whose largest allowed body could never fit the large pool would be answered 503 forever: refuse to start. */
export function checkBudgetFitsSources(limits: BodyBudgetLimits, sources: ReadonlyArray<{ name: string; maxBodyBytes: number }>): void {
  const largeCap = limits.totalBytes - limits.reservedForSmallBytes;
  const misfits = sources.filter((source) => source.maxBodyBytes > limits.smallBodyBytes && source.maxBodyBytes > largeCap);
  if (misfits.length === 0) return;
  throw configError(
    misfits.map(
      (source) =>
        `sources: "${source.name}" allows bodies of ${source.maxBodyBytes} bytes (maxBodyBytes), more than the ${largeCap} bytes ` +
        'the body budget leaves for large bodies (HOOKPIPE_BODY_BUDGET_BYTES less HOOKPIPE_CONCURRENCY x HOOKPIPE_SMALL_BODY_BYTES)',
    ),
  );
}
