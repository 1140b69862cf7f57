// Seek replay: move the processor's subscription back to a time, so Pub/Sub delivers again everything published
// since (the subscription retains acked messages for this). The ledger makes those deliveries duplicates, unless
// the operator forces a re-run: then a control document tells the processors to run again, once, every event
// published in the window and settled before the request.
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';

export const CONTROL_COLLECTION = 'hookpipe-control';
const FORCE_DOC = 'force-replay';

export interface ForceWindow {
  since: Date;
  requestedAt: Date;
}

/** How long processors may keep an old answer about the force window (forceReplayReader's cache). */
export const FORCE_CACHE_MS = 2000;

export async function seekReplay(options: { pubsub: PubSub; firestore: Firestore; subscription: string; since: Date; force: boolean; now?: Date }): Promise<ForceWindow> {
  const requestedAt = options.now ?? new Date();
  if (options.since > requestedAt) throw new Error('--since is in the future');
  if (options.force) {
    await options.firestore.collection(CONTROL_COLLECTION).doc(FORCE_DOC).set({ since: options.since, requestedAt });
    // The seek waits until every processor's cached answer has expired, so no redelivery is judged without the force.
    await new Promise((resolve) => setTimeout(resolve, FORCE_CACHE_MS + 500));
  }
  try {
    await options.pubsub.subscription(options.subscription).seek(options.since);
  } catch (error) {
    if ((error as { code?: number }).code === 12 && process.env.PUBSUB_EMULATOR_HOST) {
      throw new Error('the Pub/Sub emulator cannot seek a subscription with message ordering enabled (real Pub/Sub can)');
    }
    throw error;
  }
  return { since: options.since, requestedAt };
}

/** What the processor asks for each delivery: cached briefly, so a busy processor reads it once every few seconds. */
export function forceReplayReader(firestore: Firestore, cacheMs = FORCE_CACHE_MS): (publishTime: Date) => Promise<Date | undefined> {
  let cached: { at: number; window: ForceWindow | undefined } | undefined;
  return async (publishTime) => {
    if (!cached || Date.now() - cached.at > cacheMs) {
      const snapshot = await firestore.collection(CONTROL_COLLECTION).doc(FORCE_DOC).get();
      const data = snapshot.data() as { since?: { toDate(): Date }; requestedAt?: { toDate(): Date } } | undefined;
      const window = data?.since && data.requestedAt ? { since: data.since.toDate(), requestedAt: data.requestedAt.toDate() } : undefined;
      cached = { at: Date.now(), window };
    }
    const window = cached.window;
    if (!window || publishTime < window.since || publishTime > window.requestedAt) return undefined;
    return window.requestedAt;
  };
}
