// Seeking the push subscription: move it back to a time, so Pub/Sub delivers again everything published since (the
// subscription retains acked messages for this). The ledger makes those deliveries duplicates, unless the operator
// forces a re-run: then a force window (force-windows.ts) tells the processors to run again, once, every event
// published in the window and settled before the request. (`hookpipe seek`, formerly `hookpipe replay --since`;
// sending dead letters back is a redrive: dead-letter-queue.ts.)
//
// The window's life: written `pending` with a short expiry before the seek (the seek's redeliveries may start before
// the seek call returns, and must find it); removed if the seek fails; made `active` once it succeeded, until the
// last message it covers has left the subscription: a message is kept `messageRetentionDuration` after its publish,
// and the window covers messages published up to its creation, so no redelivery of this seek can come after
// creation + retention (https://cloud.google.com/pubsub/docs/replay-overview). Nothing sleeps: processors read the
// windows after each duplicate arrives (force-windows.ts).
import { randomUUID } from 'node:crypto';
import { FieldValue, type Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { HttpError } from '../../shared/src/errors.ts';
import { retentionSecondsOf } from '../../shared/src/pubsub.ts';
import { FORCE_WINDOWS_COLLECTION, shortSubscriptionName, windowFromFirestore } from './force-windows.ts';

/** How long a pending window lives if its request dies mid-way: well past the seek call's own deadline. */
export const PENDING_WINDOW_MS = 5 * 60_000;
const SEEK_TIMEOUT_MS = 60_000;
const UNIMPLEMENTED = 12;

export interface SeekOptions {
  pubsub: PubSub;
  firestore: Firestore;
  subscription: string;
  since: Date;
  force: boolean;
  /** The document id of the force window; one per request, so that two requests never overwrite each other. */
  requestId?: string;
  /** Who asked (an operator's email), kept on the window. */
  requestedBy?: string | undefined;
  collection?: string;
}

export interface SeekResult {
  since: Date;
  force: boolean;
  /** The force window, when forced: until when processors run settled events of the window again. */
  window?: { requestId: string; createdAt: Date; expireAt: Date };
}

async function seek(pubsub: PubSub, subscription: string, since: Date): Promise<void> {
  try {
    await pubsub.subscription(subscription).seek(since, { timeout: SEEK_TIMEOUT_MS });
  } catch (error) {
    if ((error as { code?: number }).code === UNIMPLEMENTED && pubsub.isEmulator) {
      const message = 'the Pub/Sub emulator cannot seek a subscription with message ordering enabled (real Pub/Sub can)';
      throw new HttpError('unavailable', message, { cause: error });
    }
    throw error;
  }
}

/**
 * Errors that are the operator's to act on are HttpErrors with a message written for them (the admin API answers
 * with it, the CLI prints it); what the clients threw is their cause, logged, never shown.
 */
export async function seekSubscription(request: SeekOptions): Promise<SeekResult> {
  const { pubsub, firestore, subscription, since, force } = request;
  if (since.getTime() > Date.now()) throw new HttpError('bad_request', 'since: must not be in the future');
  if (!force) {
    await seek(pubsub, subscription, since);
    return { since, force };
  }
  // Read first: a subscription that does not exist fails here, before any window is written.
  const [metadata] = await pubsub.subscription(subscription).getMetadata();
  const retentionSeconds = retentionSecondsOf(metadata);

  const requestId = request.requestId ?? randomUUID();
  const ref = firestore.collection(request.collection ?? FORCE_WINDOWS_COLLECTION).doc(requestId);
  const pendingUntil = new Date(Date.now() + PENDING_WINDOW_MS);
  await ref.create({
    requestId,
    subscription: shortSubscriptionName(subscription),
    since,
    // Firestore's clock, not the operator's: the processors compare it with their ledger's times.
    createdAt: FieldValue.serverTimestamp(),
    expireAt: pendingUntil,
    state: 'pending',
    ...(request.requestedBy === undefined ? {} : { requestedBy: request.requestedBy }),
  });
  try {
    await seek(pubsub, subscription, since);
  } catch (error) {
    try {
      await ref.delete();
    } catch (deleteError) {
      const message = `the seek failed, and its force window ${requestId} could not be removed: it lapses at ${pendingUntil.toISOString()}`;
      throw new HttpError('unavailable', message, { cause: new AggregateError([error, deleteError]) });
    }
    throw error;
  }
  try {
    const written = windowFromFirestore((await ref.get()).data() ?? {});
    if (!written) throw new Error('the force window was not found after the seek');
    const expireAt = new Date(written.createdAt.getTime() + retentionSeconds * 1000);
    await ref.update({ state: 'active', expireAt });
    return { since, force, window: { requestId, createdAt: written.createdAt, expireAt } };
  } catch (error) {
    const message =
      `${subscription} was sought back, but its force window ${requestId} could not be kept open: ` +
      `redeliveries after ${pendingUntil.toISOString()} are not forced; run the command again to force them`;
    throw new HttpError('unavailable', message, { cause: error });
  }
}
