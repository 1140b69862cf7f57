// Publishing with a bound: at most so many messages and bytes may be waiting for Pub/Sub's confirmation at once.
// Past that the ingress answers 503 at once (the provider retries later) instead of queueing without limit, which
// is how an unbounded publisher runs a Cloud Run instance out of memory under a burst.
import { HttpError } from '../../shared/src/errors.ts';

export interface OutgoingMessage {
  data: Buffer;
  attributes: Record<string, string>;
  orderingKey?: string | undefined;
}

/** The part of `@google-cloud/pubsub`'s Topic used here; the tests put a failing one in its place. */
export interface TopicPort {
  publishMessage(message: OutgoingMessage): Promise<string>;
  resumePublishing(orderingKey: string): void;
  flush(): Promise<void>;
}

export interface PublisherLimits {
  maxOutstandingMessages: number;
  maxOutstandingBytes: number;
  /** Past this the caller gets 503; the publish itself may still land, and the ledger absorbs the provider's resend. */
  timeoutMs: number;
}

export interface BoundedPublisher {
  publish(message: OutgoingMessage): Promise<string>;
  outstanding(): { messages: number; bytes: number };
  /** Waits for every publish under way to settle, then flushes the client's batches. */
  drain(): Promise<void>;
}

export function createBoundedPublisher(topic: TopicPort, limits: PublisherLimits): BoundedPublisher {
  let messages = 0;
  let bytes = 0;
  let idle: (() => void) | undefined;
  const settled = () => {
    if (messages === 0 && idle) idle();
  };

  return {
    outstanding: () => ({ messages, bytes }),

    publish(message) {
      const size = message.data.length;
      if (messages >= limits.maxOutstandingMessages || (messages > 0 && bytes + size > limits.maxOutstandingBytes)) {
        return Promise.reject(new HttpError('overloaded', 'the ingress is at capacity; retry shortly', { retryAfterSeconds: 1 }));
      }
      messages += 1;
      bytes += size;
      const publish = topic.publishMessage(message).finally(() => {
        messages -= 1;
        bytes -= size;
        settled();
      });
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new HttpError('unavailable', 'Pub/Sub did not confirm the publish in time; retry later', { retryAfterSeconds: 5 })),
          limits.timeoutMs,
        );
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
      if (messages > 0) await new Promise<void>((resolve) => (idle = resolve));
      idle = undefined;
      await topic.flush();
    },
  };
}
