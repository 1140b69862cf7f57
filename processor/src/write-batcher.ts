// Single-document ledger writes share Firestore BatchWrite RPCs with the other deliveries of the moment. The Node
// Firestore client costs a few hundred µs of CPU per RPC whatever it carries (bench/firestore-floor.ts measures it),
// so the processor's cost per event is decided by how many events share an RPC, not by how many writes each makes.
// BatchWrite applies each write on its own, with its own status, not atomically
// (https://cloud.google.com/firestore/docs/reference/rest/v1/projects.databases.documents/batchWrite): one
// delivery's failed precondition (a claim's create on an existing document) fails that write alone.
//
// Group commit: a write asked for while no batch is waiting for Firestore goes out at the end of the current turn of
// the event loop, with whatever else was asked for in that turn, so a lone write waits for nothing. Writes asked for
// while a batch is out wait for it to come back, and then go together: under load a batch grows to what arrives
// during a round trip (the client splits more than 20 writes into several RPCs, sent at once). They never wait more
// than MAX_HOLD_MS, so one slow RPC delays the others by that much at most instead of holding them all. What waits
// is bounded by the deliveries running at once (HOOKPIPE_MAX_CONCURRENT_DELIVERIES), one write each.
import type { BulkWriter, Firestore } from '@google-cloud/firestore';

export type BatchedWrite = <T>(write: (writer: BulkWriter) => Promise<T>) => Promise<T>;

/** About a Firestore round trip in the region: longer would only add latency, shorter would shrink the batches. */
export const MAX_HOLD_MS = 10;

interface Pending {
  write: (writer: BulkWriter) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export function createWriteBatcher(firestore: Firestore): BatchedWrite {
  let pending: Pending[] = [];
  let inFlight = 0;
  let turnEnd = false;
  let hold: NodeJS.Timeout | undefined;

  const send = () => {
    clearTimeout(hold);
    hold = undefined;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    inFlight += 1;
    const writer = firestore.bulkWriter({ throttling: false });
    // No retries here: a failed write fails its delivery, which Pub/Sub redelivers with its backoff; the client's
    // own RPC retries (UNAVAILABLE and the like) still apply underneath.
    writer.onWriteError(() => false);
    for (const item of batch) {
      let written: Promise<unknown>;
      try {
        written = item.write(writer);
      } catch (error) {
        item.reject(error); // a write refused before it is sent (invalid data) fails its own caller only
        continue;
      }
      written.then(item.resolve, item.reject);
    }
    // close() sends what is queued and releases the writer, so Firestore.terminate() never finds one open. It
    // settles once every write has; each write's own outcome has already gone to its caller above.
    const done = () => {
      inFlight -= 1;
      if (inFlight === 0 && pending.length > 0) send();
    };
    writer.close().then(done, done);
  };

  const atTurnEnd = () => {
    turnEnd = false;
    if (pending.length === 0) return;
    if (inFlight === 0) send();
    else hold ??= setTimeout(send, MAX_HOLD_MS);
  };

  return <T>(write: (writer: BulkWriter) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      pending.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (!turnEnd) {
        turnEnd = true;
        setImmediate(atTurnEnd);
      }
    });
}
