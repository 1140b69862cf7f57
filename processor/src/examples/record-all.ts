// The catch-all: every event no other handler took is recorded in Firestore (the "store for analytics" pattern),
// with its payload when it fits in a document.
import type { Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import { defineHandler } from '../handlers.ts';

/** Firestore documents hold at most 1 MiB; larger payloads are recorded without their body. */
const MAX_STORED_BODY = 512 * 1024;

export function recordAll(firestore: Firestore, collection = 'webhook-archive') {
  return defineHandler({
    name: 'record-all',
    schema: z.unknown(),
    async handle(event) {
      const { attributes } = event;
      await firestore
        .collection(collection)
        .doc(`${event.source}:${event.deliveryId}`)
        .set({
          source: event.source,
          provider: event.provider,
          eventType: event.eventType ?? null,
          deliveryId: event.deliveryId,
          messageId: event.messageId,
          receivedAt: new Date(attributes.receivedAt),
          contentType: attributes.contentType ?? null,
          size: event.raw.length,
          body: event.raw.length <= MAX_STORED_BODY ? event.raw.toString('utf8') : null,
          recordedAt: new Date(),
        });
    },
  });
}
