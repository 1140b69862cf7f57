// A whole pipeline in one process for end-to-end tests: an isolated topology on the emulators, a processor with the
// test's handlers (and its admin API), and an ingress with the sample sources; and the environment a test gives
// both services, written once.
import { startIngress } from '../../ingress/src/main.ts';
import type { Handler } from '../../processor/src/handlers.ts';
import { startProcessor } from '../../processor/src/main.ts';
import { ensureTopology, type Topology } from '../../shared/src/topology.ts';
import { uniqueCollection } from './firestore.ts';
import { captureLogs } from './log-capture.ts';
import { isolatedTopology, tap, testPubSub } from './pubsub.ts';
import { LOCAL_SOURCES, type StripeEventOptions, stripeWebhook } from './stripe.ts';

/**
 * What the ingress and the processor read in a test: the topology's names and attempts, the sample sources, a
 * ledger collection of its own, and no push authentication (the emulator sends no token); `overrides` win.
 */
export function pipelineEnv(topology: Topology, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: '0',
    HOOKPIPE_PUSH_AUTH: 'none',
    HOOKPIPE_TOPIC: topology.topic,
    HOOKPIPE_DEAD_LETTER_TOPIC: topology.deadLetterTopic,
    HOOKPIPE_DEAD_LETTER_SUBSCRIPTION: topology.deadLetterSubscription,
    HOOKPIPE_PUSH_SUBSCRIPTION: topology.pushSubscription,
    HOOKPIPE_MAX_DELIVERY_ATTEMPTS: String(topology.maxDeliveryAttempts),
    HOOKPIPE_LEDGER_COLLECTION: uniqueCollection('ledger'),
    HOOKPIPE_SOURCES: LOCAL_SOURCES,
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}

/** Short retries, so that a test sees retries and dead letters in seconds. */
export const FAST_RETRIES = { minimumBackoffSeconds: 0, maximumBackoffSeconds: 1 } as const;

export interface PipelineOptions {
  maxAttempts?: number;
  env?: NodeJS.ProcessEnv;
  topology?: Partial<Topology>;
}

export async function startPipeline(handlers: Handler[], options: PipelineOptions = {}) {
  const pubsub = testPubSub();
  const logs = captureLogs('processor');
  const topology = await isolatedTopology(pubsub, { maxDeliveryAttempts: options.maxAttempts ?? 5, ...FAST_RETRIES, ...options.topology });
  const env = pipelineEnv(topology, options.env);
  // The dead-letter topic exists before the processor may publish to it; the push endpoint is known once it listens.
  const processor = await startProcessor(env, { handlers, logger: logs.logger });
  await ensureTopology(pubsub, topology, { pushEndpoint: `http://127.0.0.1:${processor.port}/pubsub/push` });
  // Everything dead-lettered from now on, as it reaches the topic (the operators' subscription is left alone).
  const deadLetters = await tap(pubsub, topology.deadLetterTopic);
  const ingress = await startIngress(env);

  /** Sends a signed Stripe event and returns its id; anything but 202 fails the test. */
  async function sendStripe(options: StripeEventOptions = {}): Promise<string> {
    const webhook = stripeWebhook(ingress.port, options);
    const status = await webhook.status();
    if (status !== 202) throw new Error(`ingress answered ${status} to ${webhook.id}`);
    return webhook.id;
  }

  return {
    pubsub,
    topology,
    processor,
    ingress,
    logs,
    deadLetters,
    ops: processor.ops!,
    env,
    sendStripe,
    ledger: (id: string, source = 'stripe') => processor.ledger.get(source, id),
    async stop() {
      await ingress.shutdown('test');
      await processor.shutdown('test');
      await deadLetters.close();
      await pubsub.close();
    },
  };
}
