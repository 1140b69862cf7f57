// What the operations (dead-letter listing and redrive, seeking the push subscription, the ledger listing) need,
// built once from the environment: the CLI and the processor's admin API both go through here, so they behave the
// same.
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { z } from 'zod';
import { readConfig } from '../../shared/src/config.ts';
import { createLogger, type Logger } from '../../shared/src/logger.ts';
import { openTopic } from '../../shared/src/pubsub.ts';
import { type DetectedProject, PROJECT_SETTINGS, pickSettings, requireProjectId } from '../../shared/src/settings.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';

/** The variables the operations read, as shared/src/settings.ts declares them. */
const schema = z.object(
  pickSettings(
    ...PROJECT_SETTINGS,
    'HOOKPIPE_TOPIC',
    'HOOKPIPE_PUSH_SUBSCRIPTION',
    'HOOKPIPE_DEAD_LETTER_SUBSCRIPTION',
    'HOOKPIPE_LEDGER_COLLECTION',
    'HOOKPIPE_MAX_REPLAYS',
    // On Cloud Run the admin API trusts the caller Cloud Run verified (processor/src/admin/guard.ts).
    'K_SERVICE',
  ),
);

export type OpsConfig = z.output<typeof schema> & { projectId: string };

/**
 * The operations' configuration; throws ConfigError, as the services do, naming each bad variable, and the project
 * when none is set or `detected` (the processor finds it on Cloud Run).
 */
export function readOpsConfig(env: NodeJS.ProcessEnv, detected?: DetectedProject): OpsConfig {
  const config = readConfig(schema, env);
  return { ...config, projectId: requireProjectId(config, detected) };
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
    // A redriven dead letter keeps its ordering key, and the client sends what shares a key in order only with this.
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
