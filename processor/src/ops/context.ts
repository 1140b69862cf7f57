// What the operations (dead-letter listing and replay, seek replay, the ledger listing) need, built once from the
// environment: the CLI and the processor's admin API both go through here, so they behave the same.
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { z } from 'zod';
import { envInt, envString, projectIdFrom, readConfig } from '../../../shared/src/config.ts';
import { createLogger, type Logger } from '../../../shared/src/logger.ts';
import { openTopic } from '../../../shared/src/pubsub.ts';
import { TOPOLOGY } from '../../../shared/src/topology.ts';
import { DEFAULT_LEDGER_COLLECTION } from '../ledger.ts';
import { DeadLetterQueue } from './dead-letters.ts';

const schema = z.object({
  HOOKPIPE_TOPIC: envString().default(TOPOLOGY.topic),
  HOOKPIPE_PUSH_SUBSCRIPTION: envString().default(TOPOLOGY.pushSubscription),
  HOOKPIPE_DEAD_LETTER_SUBSCRIPTION: envString().default(TOPOLOGY.deadLetterSubscription),
  HOOKPIPE_LEDGER_COLLECTION: envString().default(DEFAULT_LEDGER_COLLECTION),
  HOOKPIPE_MAX_REPLAYS: envInt(5, { min: 1, max: 1000 }),
  /** Set by Cloud Run on every service: there, the admin API trusts the caller Cloud Run verified (admin-guard.ts). */
  K_SERVICE: envString().optional(),
});

export type OpsConfig = z.output<typeof schema> & { projectId: string };

export function readOpsConfig(env: NodeJS.ProcessEnv, projectId = projectIdFrom(env)): OpsConfig {
  if (!projectId) throw new Error('set GOOGLE_CLOUD_PROJECT to the project hookpipe runs in');
  return { ...readConfig(schema, env), projectId };
}

export interface Ops {
  config: OpsConfig;
  pubsub: PubSub;
  firestore: Firestore;
  deadLetters: DeadLetterQueue;
  close(): Promise<void>;
}

/** `logger` takes what goes wrong without failing the operation (a lease not renewed or given back, an ack refused). */
export function openOps(
  config: OpsConfig,
  pubsub: PubSub,
  firestore: Firestore,
  logger: Logger = createLogger({ service: 'hookpipe-ops' }),
): Ops {
  const republisher = openTopic(pubsub, config.HOOKPIPE_TOPIC, {
    timeoutMs: 30_000,
    batchMaxMessages: 100,
    batchMaxMilliseconds: 5,
    batchMaxBytes: 1024 * 1024,
    // A replayed dead letter keeps its ordering key, and the client sends what shares a key in order only with this.
    messageOrdering: true,
  });
  const deadLetters = new DeadLetterQueue(pubsub, config.projectId, config.HOOKPIPE_DEAD_LETTER_SUBSCRIPTION, republisher, { logger });
  return {
    config,
    pubsub,
    firestore,
    deadLetters,
    close: async () => {
      await republisher.flush();
      await deadLetters.close();
    },
  };
}
