// How much of the dead-letter subscription an operation may hold in memory. Pub/Sub can only be read by pulling,
// and a pull returns whole messages (up to 10 MB each), so the bound is kept in three places: the size of one pull
// response (enforced by gRPC, which refuses a larger response from its length prefix before reading it), the number
// of messages asked for per pull (grown from what was seen, so that a bound is rarely hit), and what a listing page
// keeps. Everything else a scan holds is one ack id and one delivery id per message: the ack id to give the lease
// back at the end, the delivery id to say in the log which messages a failed lease call concerns.

export interface ScanLimits {
  /** Largest pull response read; must fit one message of Pub/Sub's maximum size (10 MB) with its attributes. */
  pullBytes: number;
  /** Messages looked at, at most, in one operation. */
  scanMessages: number;
  /** Bytes of views (and bodies, when shown) a listing keeps; the first item always fits. */
  pageBytes: number;
}

/** Pub/Sub's limit on a message (data, attributes and ordering key together). */
export const MAX_MESSAGE_BYTES = 10 * 1000 * 1000;

/** The same in the CLI and in the processor: the processor serves pushes with 512 MiB, so one operation stays small. */
export const DEFAULT_SCAN_LIMITS: Readonly<ScanLimits> = Object.freeze({
  pullBytes: 16 * 1024 * 1024,
  scanMessages: 10_000,
  pageBytes: 8 * 1024 * 1024,
});

/** Pub/Sub returns at most 1,000 messages per pull. */
const MAX_PULL_MESSAGES = 1000;
/** Messages are assumed at least this big before any is seen, so that the first pulls stay small. */
const MIN_ASSUMED_BYTES = 4 * 1024;
/** The next messages are assumed up to twice the largest seen. */
const SAFETY = 2;
/** Pull sizes grow at most this fast: 1, 4, 16, 64, 256, 1000. */
const GROWTH = 4;

export interface BatchSizer {
  /** How many messages to ask for in the next pull. */
  next(remaining: number): number;
  /** A pull came back with these message sizes. */
  saw(sizes: readonly number[]): void;
  /** A pull of `asked` messages was refused as larger than `pullBytes`: some of them were bigger than assumed. */
  overflowed(asked: number): void;
}

/**
 * Pull sizes that keep a response under `pullBytes`: start at one message, grow while the messages are small, shrink
 * when they are big. Only a sudden run of messages far bigger than all before can still exceed the bound; gRPC then
 * refuses the response, and `overflowed` shrinks the next pulls.
 */
export function batchSizer(limits: Pick<ScanLimits, 'pullBytes'>): BatchSizer {
  let assumed = MIN_ASSUMED_BYTES;
  let previous = 0;
  return {
    next(remaining) {
      const byBytes = Math.floor(limits.pullBytes / (SAFETY * assumed));
      const byGrowth = previous === 0 ? 1 : previous * GROWTH;
      previous = Math.max(1, Math.min(byBytes, byGrowth, MAX_PULL_MESSAGES, remaining));
      return previous;
    },
    saw(sizes) {
      for (const size of sizes) assumed = Math.max(assumed, size);
    },
    overflowed(asked) {
      // The response held more than pullBytes in `asked` messages, so at least one was bigger than their average.
      assumed = Math.max(assumed, Math.ceil(limits.pullBytes / Math.max(1, asked)));
      previous = 0;
    },
  };
}

/** What a view costs to keep on a page: its attributes and body, the rest of its fields rounded up. */
export function viewBytes(view: { attributes: Record<string, string>; body?: string | undefined }): number {
  let bytes = 256;
  for (const [key, value] of Object.entries(view.attributes)) bytes += key.length + value.length;
  return bytes + (view.body === undefined ? 0 : Buffer.byteLength(view.body));
}
