// Publishing with a deadline and shedding: a webhook is answered 202 only once Pub/Sub confirmed its publish, 503 when
// Pub/Sub refused or did not confirm within the deadline, and 503 at once, before publishing, while Pub/Sub is in
// trouble or memory is at risk (shedding.ts). Healthy load is never refused, however many publishes are under way.
import { HttpError } from '../../shared/src/errors.ts';
import type { OutgoingMessage, PublishPort } from '../../shared/src/pubsub.ts';
import { createPublishTracker, type SheddingLimits } from './shedding.ts';

export type { OutgoingMessage } from '../../shared/src/pubsub.ts';

/** What publishes: the adaptive batcher (batching.ts) in the service, the library's Topic in the benchmark, fakes in tests. */
export interface TopicPort extends PublishPort {
  flush(): Promise<void>;
}

export interface PublisherLimits extends SheddingLimits {
  /** Past this the caller gets 503; the publish itself may still land, and the ledger absorbs the provider's resend. */
  timeoutMs: number;
}

export interface BoundedPublisher {
  publish(message: OutgoingMessage): Promise<string>;
  outstanding(): { messages: number; bytes: number };
  /** Waits for every publish under way to settle, then flushes the client's batches. */
  drain(): Promise<void>;
}

export function createBoundedPublisher(topic: TopicPort, limits: PublisherLimits, now: () => number = Date.now): BoundedPublisher {
  const tracker = createPublishTracker(limits, now);
  let idle: (() => void) | undefined;
  const settled = () => {
    if (idle && tracker.outstanding().messages === 0) idle();
  };

  return {
    outstanding: () => tracker.outstanding(),

    publish(message) {
      const outstanding = tracker.admit(message.data.length);
      if (outstanding instanceof HttpError) return Promise.reject(outstanding);
      const publish = topic.publishMessage(message).then(
        (id) => {
          tracker.settled(outstanding, true);
          settled();
          return id;
        },
        (error: unknown) => {
          tracker.settled(outstanding, false);
          settled();
          throw error;
        },
      );
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          tracker.late(outstanding);
          reject(new HttpError('unavailable', 'Pub/Sub did not confirm the publish in time; retry later', { retryAfterSeconds: 5 }));
        }, limits.timeoutMs);
      });
      return Promise.race([publish, deadline])
        .catch((error: unknown) => {
          // An ordering key stops publishing after a failure until resumed; resume so the next resend can go through.
          if (message.orderingKey) topic.resumePublishing(message.orderingKey);
          if (error instanceof HttpError) throw error;
          throw new HttpError('unavailable', 'Pub/Sub refused the publish; retry later', { retryAfterSeconds: 5, cause: error });
        })
        .finally(() => clearTimeout(timer));
    },

    async drain() {
      if (tracker.outstanding().messages > 0) await new Promise<void>((resolve) => (idle = resolve));
      idle = undefined;
      await topic.flush();
    },
  };
}
