// One Pub/Sub client and one Topic per process: `pubsub.topic()` builds a new batch queue on every call, and a
// client per request leaks (nodejs-pubsub #1069, #2016).
import { PubSub, type Topic, v1 } from '@google-cloud/pubsub';

export interface PublisherTuning {
  /** Bounds the publish RPC with its retries (the client's default is 600 s, far past a provider's patience). */
  timeoutMs: number;
  batchMaxMessages: number;
  batchMaxMilliseconds: number;
  batchMaxBytes: number;
  messageOrdering: boolean;
}

/** A message as published: the raw bytes, the attributes (shared/src/contract.ts) and the ordering key, if any. */
export interface OutgoingMessage {
  data: Buffer;
  attributes: Record<string, string>;
  orderingKey?: string | undefined;
}

/** The part of a Topic that publishes one message and waits for Pub/Sub's confirmation; tests put a failing one in. */
export interface PublishPort {
  publishMessage(message: OutgoingMessage): Promise<string>;
  /** After a failed publish with an ordering key, the client refuses that key until told to go on. */
  resumePublishing(orderingKey: string): void;
}

/**
 * Publishes and resolves once Pub/Sub confirmed. A failure is thrown to the caller, who leaves the message where it
 * was (unacked) for a later attempt; with an ordering key, the key is resumed first, or that later attempt and every
 * other message with the key would be refused by the client.
 */
export async function publishConfirmed(topic: PublishPort, message: OutgoingMessage): Promise<string> {
  try {
    return await topic.publishMessage(message);
  } catch (error) {
    if (message.orderingKey) topic.resumePublishing(message.orderingKey);
    throw error;
  }
}

/** Pub/Sub's default message retention of a subscription (https://cloud.google.com/pubsub/docs/subscription-properties). */
const DEFAULT_SUBSCRIPTION_RETENTION_SECONDS = 7 * 24 * 60 * 60;

/** A subscription's message retention in seconds, from its metadata; unset means Pub/Sub's default. */
export function retentionSecondsOf(metadata: { messageRetentionDuration?: { seconds?: unknown } | null }): number {
  return Number(metadata.messageRetentionDuration?.seconds ?? 0) || DEFAULT_SUBSCRIPTION_RETENTION_SECONDS;
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

/** One PublishRequest: messages of one ordering key (or none), within `timeoutMs`, retries included; the ids in order. */
export type PublishRpc = (
  request: { messages: OutgoingMessage[]; orderingKey: string | undefined },
  timeoutMs: number,
) => Promise<string[]>;

/**
 * The Publish RPC alone, through the library's own `v1.PublisherClient`, for a caller that batches itself (the ingress,
 * ingress/src/batching.ts). The client is built from `pubsub.getClientConfig()`, documented as "suitable for passing
 * into a GAPIC 'v1' class constructor" (project id found on Cloud Run, the emulator's address and plain-text channel
 * locally), and is created on the first publish. Each call carries its own deadline, retries included, as gax reads
 * `timeout`; the retried codes are the client's own for Publish.
 */
export function openPublishRpc(pubsub: PubSub, topicName: string): { rpc: PublishRpc; close(): Promise<void> } {
  let client: Promise<{ publisher: v1.PublisherClient; topic: string }> | undefined;
  const connect = () =>
    (client ??= pubsub.getClientConfig().then(
      (config) => ({
        // The same object the library hands its own v1 clients (PubSub.getClientAsync_), typed apart by the two packages.
        publisher: new v1.PublisherClient(config as ConstructorParameters<typeof v1.PublisherClient>[0]),
        topic: topicName.startsWith('projects/') ? topicName : `projects/${config.projectId}/topics/${topicName}`,
      }),
      (error: unknown) => {
        // No project id or credentials yet: this publish fails, the next one tries again.
        client = undefined;
        throw error;
      },
    ));
  return {
    async rpc({ messages }, timeoutMs) {
      const { publisher, topic } = await connect();
      // The messages go as they are: each carries its ordering key, one key per request (ingress/src/batching.ts).
      // gax's total timeout is checked between attempts, so an attempt under way can outlast it by seconds (measured
      // against a stopped emulator: 1 s deadlines settled after up to 6.5 s); the signal cancels the call at its deadline.
      const [response] = await publisher.publish({ topic, messages }, { timeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
      return response.messageIds ?? [];
    },
    async close() {
      if (client) await (await client).publisher.close();
    },
  };
}
