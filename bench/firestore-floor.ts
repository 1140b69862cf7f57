// One of the costs in the processor's way, measured alone: the CPU the Firestore client spends per event on the
// ledger's writes, with no HTTP and no handler, over gRPC or REST (`preferRest`), in three shapes: a
// transaction (begin, get, commit) then an update, a create then an update, or the same two writes batched with
// the other events' as processor/src/write-batcher.ts does. Run by bench/processor-alone.ts in its own process
// against the emulator; prints one JSON line.
import { Firestore } from '@google-cloud/firestore';
import { PassThroughClient } from 'google-auth-library';
import { createWriteBatcher } from '../processor/src/write-batcher.ts';

type Shape = 'transaction' | 'create-update' | 'bulk-create-update';
const [transport, shape, inflightText, countText] = process.argv.slice(2) as ['grpc' | 'rest', Shape, string, string];
// Over REST the client asks an auth client for headers even for the emulator (which takes the 'Bearer owner' header
// Firestore adds itself): one that adds nothing stands in for the credentials it would use in Google Cloud.
const rest = { preferRest: true, authClient: new PassThroughClient() };
const firestore = new Firestore({ projectId: process.env.GOOGLE_CLOUD_PROJECT, ...(transport === 'rest' ? rest : {}) });
const collection = firestore.collection(`bench-floor-${transport}-${shape}-${Date.now()}`);
const fields = { source: 'stripe', deliveryId: 'evt', messageId: 'm', status: 'processing', attempts: 1, replayCount: 0 };

// The same writes as the ledger sends them: batched with the other events' of the same event-loop turn.
const batched = createWriteBatcher(firestore);

async function event(id: string): Promise<void> {
  const ref = collection.doc(id);
  const now = new Date();
  if (shape === 'bulk-create-update') {
    await batched((writer) => writer.create(ref, { ...fields, createdAt: now, updatedAt: now }));
    await batched((writer) => writer.update(ref, { status: 'processed', processedAt: now, updatedAt: now }));
    return;
  }
  if (shape === 'transaction') {
    await firestore.runTransaction(async (tx) => {
      const snapshot = await tx.get(ref);
      if (!snapshot.exists) tx.create(ref, { ...fields, createdAt: now, updatedAt: now });
    });
  } else {
    await ref.create({ ...fields, createdAt: now, updatedAt: now });
  }
  await ref.update({ status: 'processed', processedAt: now, updatedAt: now });
}

async function round(prefix: string, count: number, inflightLimit: number) {
  const started = process.cpuUsage();
  const wall = performance.now();
  const inflight = new Set<Promise<void>>();
  for (let i = 0; i < count; i += 1) {
    const one = event(`${prefix}-${i}`);
    inflight.add(one);
    void one.finally(() => inflight.delete(one));
    if (inflight.size >= inflightLimit) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  const cpu = process.cpuUsage(started);
  return { microsPerEvent: (cpu.user + cpu.system) / count, eventsPerSecond: count / ((performance.now() - wall) / 1000) };
}

const inflight = Number(inflightText ?? 32);
const count = Number(countText ?? 3000);
await round('warm', Math.min(1000, count), inflight);
const { microsPerEvent, eventsPerSecond } = await round('run', count, inflight);
const rounded = { microsPerEvent: Math.round(microsPerEvent), eventsPerSecond: Math.round(eventsPerSecond) };
console.log(JSON.stringify({ transport, shape, inflight, events: count, ...rounded }));
await firestore.terminate();
