// The one definition of hookpipe's Pub/Sub topology. Local start-up and the tests create it from here, and a test
// checks that infra/*.tf says the same, so that names, attempts and backoff cannot drift between the two.
import type { PubSub } from '@google-cloud/pubsub';

export interface Topology {
  topic: string;
  deadLetterTopic: string;
  /** Pull subscription on the dead-letter topic: without one, what Pub/Sub dead-letters is dropped. */
  deadLetterSubscription: string;
  /** The processor's push subscription. */
  pushSubscription: string;
  ackDeadlineSeconds: number;
  maxDeliveryAttempts: number;
  minimumBackoffSeconds: number;
  maximumBackoffSeconds: number;
  /** Acked messages are kept this long so that `hookpipe replay --since` can seek back. */
  retentionSeconds: number;
  /** Dead letters wait this long for an operator (the most a subscription keeps a message). */
  deadLetterRetentionSeconds: number;
  /** The dead-letter topic keeps messages longer still, so its subscription can be sought back too. */
  deadLetterTopicRetentionSeconds: number;
  messageOrdering: boolean;
}

const DAY = 24 * 60 * 60;

export const TOPOLOGY: Readonly<Topology> = Object.freeze({
  topic: 'webhook-events',
  deadLetterTopic: 'webhook-events-dlq',
  deadLetterSubscription: 'webhook-events-dlq-sub',
  pushSubscription: 'webhook-events-processor',
  ackDeadlineSeconds: 60,
  maxDeliveryAttempts: 10,
  minimumBackoffSeconds: 10,
  maximumBackoffSeconds: 600,
  retentionSeconds: 7 * DAY,
  deadLetterRetentionSeconds: 7 * DAY,
  deadLetterTopicRetentionSeconds: 31 * DAY,
  messageOrdering: true,
});

/** The same topology under other names and timings: tests isolate themselves with a suffix and short backoff. */
export function topologyWith(overrides: Partial<Topology> & { suffix?: string } = {}): Topology {
  const { suffix = '', ...rest } = overrides;
  const base = { ...TOPOLOGY, ...rest };
  return {
    ...base,
    topic: base.topic + suffix,
    deadLetterTopic: base.deadLetterTopic + suffix,
    deadLetterSubscription: base.deadLetterSubscription + suffix,
    pushSubscription: base.pushSubscription + suffix,
  };
}

const duration = (seconds: number) => ({ seconds });

async function ensure(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if ((error as { code?: number }).code !== 6 /* ALREADY_EXISTS */) throw error;
  }
}

/**
 * Creates what is missing, leaves what exists. The push subscription is created only when an endpoint is given
 * (the processor's URL); its push config is updated when it exists with another endpoint.
 */
export async function ensureTopology(pubsub: PubSub, topology: Topology, options: { pushEndpoint?: string } = {}): Promise<void> {
  await ensure(() => pubsub.createTopic(topology.topic));
  await ensure(() =>
    pubsub.createTopic({ name: topology.deadLetterTopic, messageRetentionDuration: duration(topology.deadLetterTopicRetentionSeconds) }),
  );
  await ensure(() =>
    pubsub.topic(topology.deadLetterTopic).createSubscription(topology.deadLetterSubscription, {
      ackDeadlineSeconds: topology.ackDeadlineSeconds,
      messageRetentionDuration: duration(topology.deadLetterRetentionSeconds),
      expirationPolicy: {},
    }),
  );
  if (options.pushEndpoint === undefined) return;
  const subscription = pubsub.topic(topology.topic).subscription(topology.pushSubscription);
  await ensure(() =>
    pubsub.topic(topology.topic).createSubscription(topology.pushSubscription, {
      pushConfig: { pushEndpoint: options.pushEndpoint! },
      ackDeadlineSeconds: topology.ackDeadlineSeconds,
      retainAckedMessages: true,
      messageRetentionDuration: duration(topology.retentionSeconds),
      enableMessageOrdering: topology.messageOrdering,
      expirationPolicy: {},
      retryPolicy: {
        minimumBackoff: duration(topology.minimumBackoffSeconds),
        maximumBackoff: duration(topology.maximumBackoffSeconds),
      },
      deadLetterPolicy: {
        deadLetterTopic: pubsub.topic(topology.deadLetterTopic).name,
        maxDeliveryAttempts: topology.maxDeliveryAttempts,
      },
    }),
  );
  const [metadata] = await subscription.getMetadata();
  if (metadata.pushConfig?.pushEndpoint !== options.pushEndpoint) {
    await subscription.modifyPushConfig({ pushEndpoint: options.pushEndpoint });
  }
}
