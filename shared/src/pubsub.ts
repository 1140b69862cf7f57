// One Pub/Sub client and one Topic per process: `pubsub.topic()` builds a new batch queue on every call, and a
// client per request leaks (nodejs-pubsub #1069, #2016).
import { PubSub, type Topic } from '@google-cloud/pubsub';

export interface PublisherTuning {
  /** Bounds the publish RPC with its retries (the client's default is 600 s, far past a provider's patience). */
  timeoutMs: number;
  batchMaxMessages: number;
  batchMaxMilliseconds: number;
  batchMaxBytes: number;
  messageOrdering: boolean;
}

export function createPubSub(projectId: string | undefined): PubSub {
  return new PubSub(projectId ? { projectId } : {});
}

export function openTopic(pubsub: PubSub, name: string, tuning: PublisherTuning): Topic {
  return pubsub.topic(name, {
    batching: {
      maxMessages: tuning.batchMaxMessages,
      maxMilliseconds: tuning.batchMaxMilliseconds,
      maxBytes: tuning.batchMaxBytes,
    },
    messageOrdering: tuning.messageOrdering,
    // gax turns `timeout` into the total deadline of the call, retries included.
    gaxOpts: { timeout: tuning.timeoutMs },
  });
}
