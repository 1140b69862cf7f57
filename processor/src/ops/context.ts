// What the operations (dead-letter listing and replay, seek replay, the ledger listing) need, built once from the
// environment: the CLI and the processor's admin API both go through here, so they behave the same.
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { z } from 'zod';
import { envInt, envString, projectIdFrom, readConfig } from '../../../shared/src/config.ts';
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

export function openOps(config: OpsConfig, pubsub: PubSub, firestore: Firestore): Ops {
  const republisher = openTopic(pubsub, config.HOOKPIPE_TOPIC, {
    timeoutMs: 30_000,
    batchMaxMessages: 100,
    batchMaxMilliseconds: 5,
    batchMaxBytes: 1024 * 1024,
    messageOrdering: false,
  });
  const deadLetters = new DeadLetterQueue(pubsub, config.projectId, config.HOOKPIPE_DEAD_LETTER_SUBSCRIPTION, republisher);
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
