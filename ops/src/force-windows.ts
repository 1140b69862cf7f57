// Force windows: what `hookpipe seek --since --force` leaves for the processors, one Firestore document per
// request. A window says: run the handlers once more for every event published to this subscription between
// `since` and the request, if it was settled before the request. It lives until `expireAt` (seek.ts decides when),
// so a window cannot outlive the redeliveries it was opened for, and two requests never overwrite each other.
//
// Processors ask only when the ledger calls a delivery a duplicate, and then with a read that began after the
// delivery arrived. The window is written before the seek starts, and the seek's redeliveries arrive after it
// started, so that read sees the window: no redelivery of the seek can be judged without it, and no one waits for
// caches to expire.
import type { Firestore } from '@google-cloud/firestore';
import { dateOf } from '../../shared/src/firestore-values.ts';

export const FORCE_WINDOWS_COLLECTION = 'hookpipe-force-windows';

export interface ForceWindow {
  requestId: string;
  /** The subscription's short name: a window forces only the redeliveries of the subscription it sought. */
  subscription: string;
  since: Date;
  /** When the request was made (Firestore's clock): events settled after this are not run again. */
  createdAt: Date;
  expireAt: Date;
  /** pending while the seek runs (a short expiry, so a crashed request leaves nothing lasting), then active. */
  state: 'pending' | 'active';
  requestedBy?: string | undefined;
}

/** `projects/p/subscriptions/name` or `name`, as the short name. */
export const shortSubscriptionName = (name: string) => name.slice(name.lastIndexOf('/') + 1);

export function windowFromFirestore(data: Record<string, unknown>): ForceWindow | undefined {
  const since = dateOf(data.since);
  const createdAt = dateOf(data.createdAt);
  const expireAt = dateOf(data.expireAt);
  if (!since || !createdAt || !expireAt || typeof data.requestId !== 'string' || typeof data.subscription !== 'string') return undefined;
  return {
    requestId: data.requestId,
    subscription: data.subscription,
    since,
    createdAt,
    expireAt,
    state: data.state === 'active' ? 'active' : 'pending',
    requestedBy: typeof data.requestedBy === 'string' ? data.requestedBy : undefined,
  };
}

/**
 * The time before which a delivery's event must have been settled to run again: the latest request among the live
 * windows that cover its publish time (a later request forces what an earlier one already re-ran); none if no
 * window does.
 */
export function forcedAt(
  windows: readonly ForceWindow[],
  delivery: { publishTime: Date; subscription?: string | undefined; now: Date },
): Date | undefined {
  let latest: Date | undefined;
  const subscription = delivery.subscription === undefined ? undefined : shortSubscriptionName(delivery.subscription);
  for (const window of windows) {
    if (window.expireAt <= delivery.now) continue;
    if (subscription !== undefined && window.subscription !== subscription) continue;
    if (delivery.publishTime < window.since || delivery.publishTime > window.createdAt) continue;
    if (!latest || window.createdAt > latest) latest = window.createdAt;
  }
  return latest;
}

export type ForceReplayReader = (publishTime: Date, subscription?: string) => Promise<Date | undefined>;

/**
 * What a processor asks about a delivery the ledger calls a duplicate. Each answer comes from a read that began
 * after the question: concurrent questions share the next read, so a burst of duplicates (a seek's redeliveries)
 * costs one read at a time, not one each.
 */
export function forceReplayReader(firestore: Firestore, options: { collection?: string; clock?: () => Date } = {}): ForceReplayReader {
  const collection = options.collection ?? FORCE_WINDOWS_COLLECTION;
  const clock = options.clock ?? (() => new Date());
  const load = async (): Promise<ForceWindow[]> => {
    const snapshot = await firestore.collection(collection).where('expireAt', '>', clock()).get();
    return snapshot.docs.map((doc) => windowFromFirestore(doc.data())).filter((w): w is ForceWindow => w !== undefined);
  };
  let current: Promise<ForceWindow[]> | undefined;
  let queued: Promise<ForceWindow[]> | undefined;
  const start = (): Promise<ForceWindow[]> => {
    const read = load();
    current = read;
    const clear = () => {
      if (current === read) current = undefined;
    };
    read.then(clear, clear);
    return read;
  };
  // A read under way began before this question; only one begun after it may answer it.
  const fresh = (): Promise<ForceWindow[]> => {
    if (!current) return start();
    const settled = current.then(
      () => undefined,
      () => undefined,
    );
    queued ??= settled.then(() => {
      queued = undefined;
      return start();
    });
    return queued;
  };
  return async (publishTime, subscription) => forcedAt(await fresh(), { publishTime, subscription, now: clock() });
}
