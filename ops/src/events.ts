// Listing the ledger: what happened to each event, filtered by status, source, type, resource and time. The
// documents are the processor's (shared/src/ledger-entry.ts).
import type { Firestore, Query } from '@google-cloud/firestore';
import { z } from 'zod';
import { DateLike } from '../../shared/src/date-like.ts';
import { globMatches, isGlob } from '../../shared/src/glob.ts';
import { entryFromFirestore, LEDGER_STATUSES, type LedgerEntry } from '../../shared/src/ledger-entry.ts';

/** One query for the CLI's flags and the admin API's query string. */
export const EventQuery = z.object({
  status: z.enum(LEDGER_STATUSES).optional(),
  source: z.string().min(1).optional(),
  /** Exact, or a glob (`payment_intent.*`), matched on the newest 1000 events that pass the other filters. */
  eventType: z.string().min(1).optional(),
  resourceKey: z.string().min(1).optional(),
  since: DateLike.optional(),
  until: DateLike.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});
export type EventQuery = z.input<typeof EventQuery>;

export async function listEvents(firestore: Firestore, collection: string, input: EventQuery): Promise<LedgerEntry[]> {
  const query = EventQuery.parse(input);
  const glob = query.eventType !== undefined && isGlob(query.eventType);
  let q: Query = firestore.collection(collection);
  if (query.status) q = q.where('status', '==', query.status);
  if (query.source) q = q.where('source', '==', query.source);
  if (query.eventType && !glob) q = q.where('eventType', '==', query.eventType);
  if (query.resourceKey) q = q.where('resourceKey', '==', query.resourceKey);
  if (query.since) q = q.where('createdAt', '>=', query.since);
  if (query.until) q = q.where('createdAt', '<=', query.until);
  const snapshot = await q
    .orderBy('createdAt', 'desc')
    .limit(glob ? 1000 : query.limit)
    .get();
  const entries = snapshot.docs.map((doc) => entryFromFirestore(doc.data()));
  const matching = glob ? entries.filter((e) => e.eventType !== undefined && globMatches(query.eventType!, e.eventType)) : entries;
  return matching.slice(0, query.limit);
}

/** Every ledger entry for a delivery id (one per source that used it). */
export async function findEvent(firestore: Firestore, collection: string, deliveryId: string): Promise<LedgerEntry[]> {
  const snapshot = await firestore.collection(collection).where('deliveryId', '==', deliveryId).limit(20).get();
  return snapshot.docs.map((doc) => entryFromFirestore(doc.data()));
}
