// A whole pipeline in one process for end-to-end tests: an isolated topology on the emulators, a processor with the
// test's handlers (and its admin API), and an ingress with the sample sources.
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { startIngress } from '../../ingress/src/main.ts';
import type { Handler } from '../../processor/src/handlers.ts';
import { startProcessor } from '../../processor/src/main.ts';
import { ensureTopology, type Topology } from '../../shared/src/topology.ts';
import { uniqueCollection } from './firestore.ts';
import { captureLogs } from './log-capture.ts';
import { isolatedTopology, testPubSub } from './pubsub.ts';

export async function startPipeline(handlers: Handler[], options: { maxAttempts?: number; env?: NodeJS.ProcessEnv; topology?: Partial<Topology> } = {}) {
  const pubsub = testPubSub();
  const logs = captureLogs('processor');
  const topology: Topology = await isolatedTopology(pubsub, {
    maxDeliveryAttempts: options.maxAttempts ?? 5,
    minimumBackoffSeconds: 0,
    maximumBackoffSeconds: 1,
    ...options.topology,
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOOKPIPE_PUSH_AUTH: 'none',
    HOOKPIPE_TOPIC: topology.topic,
    HOOKPIPE_DEAD_LETTER_TOPIC: topology.deadLetterTopic,
    HOOKPIPE_DEAD_LETTER_SUBSCRIPTION: topology.deadLetterSubscription,
    HOOKPIPE_PUSH_SUBSCRIPTION: topology.pushSubscription,
    HOOKPIPE_MAX_DELIVERY_ATTEMPTS: String(options.maxAttempts ?? 5),
    HOOKPIPE_LEDGER_COLLECTION: uniqueCollection('ledger'),
    HOOKPIPE_SOURCES: 'config/sources.local.yaml',
    LOG_LEVEL: 'silent',
    ...options.env,
  };
  const processor = await startProcessor(env, { handlers, logger: logs.logger });
  await ensureTopology(pubsub, topology, { pushEndpoint: `http://127.0.0.1:${processor.port}/pubsub/push` });
  const ingress = await startIngress(env);

  async function sendStripe(id = `evt_${randomUUID().replaceAll('-', '')}`, type = 'payment_intent.succeeded'): Promise<string> {
    const body = JSON.stringify({ id, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object: { id: `pi_${id}`, amount: 100 } } });
    const response = await fetch(`http://127.0.0.1:${ingress.port}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_local_stripe_secret' }) },
      body,
    });
    if (response.status !== 202) throw new Error(`ingress answered ${response.status}`);
    return id;
  }

  return {
    pubsub,
    topology,
    processor,
    ingress,
    logs,
    ops: processor.ops!,
    env,
    sendStripe,
    ledger: (id: string, source = 'stripe') => processor.ledger.get(source, id),
    async stop() {
      await ingress.shutdown('test');
      await processor.shutdown('test');
      await pubsub.close();
    },
  };
}
