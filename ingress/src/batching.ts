// Adaptive batching of publishes: "Nagle off, group while busy". A message is sent at once when its lane has an RPC
// slot free (a lone webhook waits for no timer), and while the lane's RPCs are under way the messages arriving meanwhile
// gather into the next request, sent the moment one returns. Batches therefore grow with load by themselves (about
// arrival rate x RPC time), which is what decides the client's CPU per message: its cost is per RPC, not per message
// (field notes; bench/publisher-batching.ts measures it against the library's fixed 5 ms window).
//
// A lane is the unit of order. Pub/Sub takes one ordering key per PublishRequest ("All PubsubMessages published in a
// given PublishRequest must specify the same orderingKey value",
// https://cloud.google.com/pubsub/docs/reference/rest/v1/PubsubMessage), and messages of a key keep their order only if
// the next batch of the key leaves after the previous one was confirmed, so every ordering key has its own lane with
// one RPC at a time; messages without a key share a lane with a few RPCs at once. An unkeyed request under way longer
// than `releaseSlotAfterMs` gives up its slot, so one stuck request does not hold back the traffic behind it (which
// would make a healthy Pub/Sub look stalled to the shedding, shedding.ts).
import type { OutgoingMessage, PublishRpc } from '../../shared/src/pubsub.ts';

export interface BatchingLimits {
  /** Messages in one request (Pub/Sub takes at most 1,000). */
  maxMessages: number;
  /** Bytes of data and attributes in one request (Pub/Sub takes at most 10 MB; the Node client caps batches at 9 MiB). */
  maxBytes: number;
  /** RPCs under way at once for messages without an ordering key, before further messages wait for one to return. */
  maxConcurrentRpcs: number;
  /**
   * A message is given this long to be confirmed, from when it is handed over: its RPC's deadline is the earliest of
   * its messages', and a message still waiting when its time is up is failed without being sent. The caller has
   * answered 503 by then, so sending it would only make a duplicate and hold its bytes longer.
   */
  timeoutMs: number;
  /** An unkeyed request under way this long no longer counts against `maxConcurrentRpcs`. */
  releaseSlotAfterMs: number;
}

interface Entry {
  message: OutgoingMessage;
  bytes: number;
  expiresAt: number;
  resolve(id: string): void;
  reject(error: unknown): void;
}

interface Lane {
  key: string | undefined;
  maxInFlight: number;
  queue: Entry[];
  /** Index of the first entry of `queue` not yet taken (taking from the front of a long array would copy it). */
  head: number;
  queuedBytes: number;
  inFlight: number;
}

export interface AdaptiveBatcher {
  publishMessage(message: OutgoingMessage): Promise<string>;
  /** Nothing to resume: a failed batch fails what queued behind it on its key, and later messages start afresh. */
  resumePublishing(orderingKey: string): void;
  /** Sends everything waiting without waiting for a slot, and resolves once every request under way has returned. */
  flush(): Promise<void>;
  /** Messages waiting for a slot and messages in requests under way, for tests and logs. */
  pending(): { queued: number; rpcs: number };
}

/** Bytes a message adds to a request, counted as the Node client counts them for its own batch limit. */
export function messageBytes(message: OutgoingMessage): number {
  let bytes = message.data.length;
  for (const key in message.attributes) bytes += key.length + message.attributes[key]!.length;
  return bytes;
}

export class PublishExpiredError extends Error {
  constructor() {
    super('the publish waited past its deadline for a free request slot and was not sent');
    this.name = 'PublishExpiredError';
  }
}

export function createAdaptiveBatcher(rpc: PublishRpc, limits: BatchingLimits, now: () => number = Date.now): AdaptiveBatcher {
  const unkeyed: Lane = newLane(undefined, limits.maxConcurrentRpcs);
  const keyed = new Map<string, Lane>();
  // Lanes with a free slot and messages waiting, sent together on the next turn of the event loop: requests read in
  // the same turn then share one RPC, at no cost in latency.
  const ready = new Set<Lane>();
  let scheduled = false;
  let rpcs = 0;
  let queued = 0;
  let idleWaiters: Array<() => void> = [];

  function newLane(key: string | undefined, maxInFlight: number): Lane {
    return { key, maxInFlight, queue: [], head: 0, queuedBytes: 0, inFlight: 0 };
  }

  function laneFor(key: string | undefined): Lane {
    if (key === undefined || key === '') return unkeyed;
    let lane = keyed.get(key);
    if (!lane) {
      lane = newLane(key, 1);
      keyed.set(key, lane);
    }
    return lane;
  }

  const waiting = (lane: Lane) => lane.queue.length - lane.head;

  function schedule(lane: Lane): void {
    ready.add(lane);
    if (scheduled) return;
    scheduled = true;
    setImmediate(sendReady);
  }

  function sendReady(): void {
    scheduled = false;
    for (const lane of ready) {
      while (lane.inFlight < lane.maxInFlight && waiting(lane) > 0) send(lane);
    }
    ready.clear();
  }

  /**
   * Takes the next batch from the front of the lane (at least one message, however large) and sends it, in one of the
   * lane's slots or, for a full batch or a flush, beside them.
   */
  function send(lane: Lane, inSlot = true): void {
    const at = now();
    const batch: Entry[] = [];
    let bytes = 0;
    while (lane.head < lane.queue.length && batch.length < limits.maxMessages) {
      const entry = lane.queue[lane.head]!;
      if (batch.length > 0 && bytes + entry.bytes > limits.maxBytes) break;
      lane.head += 1;
      lane.queuedBytes -= entry.bytes;
      queued -= 1;
      if (entry.expiresAt <= at) {
        entry.reject(new PublishExpiredError());
        continue;
      }
      batch.push(entry);
      bytes += entry.bytes;
    }
    compact(lane);
    if (batch.length === 0) {
      settleIfIdle(lane);
      return;
    }
    rpcs += 1;
    if (inSlot) lane.inFlight += 1;
    let holdsSlot = inSlot;
    const freeSlot = () => {
      if (holdsSlot) lane.inFlight -= 1;
      holdsSlot = false;
    };
    // Never on a key: its next batch must wait for this one's confirmation, however long it takes.
    const release =
      inSlot && lane.key === undefined
        ? setTimeout(() => {
            freeSlot();
            sendIfFree(lane);
          }, limits.releaseSlotAfterMs).unref()
        : undefined;
    // Entries are queued in arrival order with one timeout, so the first one's deadline is the earliest.
    const timeoutMs = Math.max(1, batch[0]!.expiresAt - at);
    const messages = batch.map((entry) => entry.message);
    const returned = () => {
      clearTimeout(release);
      freeSlot();
      rpcs -= 1;
      // What gathered while this request was under way goes now, in as few requests as the limits allow.
      sendIfFree(lane);
      settleIfIdle(lane);
    };
    rpc({ messages, orderingKey: lane.key }, timeoutMs).then(
      (ids) => {
        for (let i = 0; i < batch.length; i += 1) {
          const id = ids[i];
          if (id === undefined) batch[i]!.reject(new Error('Pub/Sub returned fewer message ids than messages'));
          else batch[i]!.resolve(id);
        }
        returned();
      },
      (error: unknown) => {
        for (const entry of batch) entry.reject(error);
        // Messages of the key sent after a failed batch would overtake it when the provider resends it: fail them too.
        if (lane.key !== undefined) failQueued(lane, error);
        returned();
      },
    );
  }

  function sendIfFree(lane: Lane): void {
    if (lane.inFlight < lane.maxInFlight && waiting(lane) > 0) send(lane);
  }

  function failQueued(lane: Lane, error: unknown): void {
    while (lane.head < lane.queue.length) {
      const entry = lane.queue[lane.head]!;
      lane.head += 1;
      queued -= 1;
      entry.reject(error);
    }
    lane.queuedBytes = 0;
    compact(lane);
  }

  function compact(lane: Lane): void {
    if (lane.head === lane.queue.length) {
      lane.queue = [];
      lane.head = 0;
    } else if (lane.head > 1024 && lane.head * 2 > lane.queue.length) {
      lane.queue = lane.queue.slice(lane.head);
      lane.head = 0;
    }
  }

  function settleIfIdle(lane: Lane): void {
    if (lane.key !== undefined && lane.inFlight === 0 && waiting(lane) === 0) keyed.delete(lane.key);
    if (rpcs === 0 && queued === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  return {
    publishMessage(message) {
      return new Promise<string>((resolve, reject) => {
        const lane = laneFor(message.orderingKey);
        const bytes = messageBytes(message);
        lane.queue.push({ message, bytes, expiresAt: now() + limits.timeoutMs, resolve, reject });
        lane.queuedBytes += bytes;
        queued += 1;
        if (lane.inFlight < lane.maxInFlight) schedule(lane);
        // A full batch is as cheap per message as a batch gets: it goes without waiting for a slot, except on a key,
        // whose next batch must wait for the one under way.
        else if (lane.key === undefined && (waiting(lane) >= limits.maxMessages || lane.queuedBytes >= limits.maxBytes)) send(lane, false);
      });
    },

    resumePublishing() {},

    async flush() {
      for (const lane of [unkeyed, ...keyed.values()]) {
        if (lane.key === undefined) while (waiting(lane) > 0) send(lane, false);
        else if (lane.inFlight === 0 && waiting(lane) > 0) send(lane);
      }
      if (rpcs === 0 && queued === 0) return;
      await new Promise<void>((resolve) => idleWaiters.push(resolve));
    },

    pending: () => ({ queued, rpcs }),
  };
}

/**
 * Requests under way at once for messages without an ordering key before the next ones gather. One: with 10 to 500
 * publishes kept in flight against the emulator, 1, 2 and 4 slots gave the same batches and CPU within the noise, and
 * with publishes arriving at a fixed rate one slot made the largest batches and the least CPU per message when requests
 * took 20 ms (bench/publisher-batching.ts).
 */
export const UNKEYED_RPC_SLOTS = 1;
