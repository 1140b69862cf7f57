// Test topologies isolated by a random suffix, and a tap: a pull subscription that collects what reaches a topic.
import { randomBytes } from 'node:crypto';
import type { Message, PubSub, Subscription } from '@google-cloud/pubsub';
import { createPubSub } from '../../shared/src/pubsub.ts';
import { ensureTopology, type Topology, topologyWith } from '../../shared/src/topology.ts';
import { waitFor } from './wait.ts';

export function requireEmulator(): string {
  const host = process.env.PUBSUB_EMULATOR_HOST;
  if (!host) throw new Error('PUBSUB_EMULATOR_HOST is not set: run the integration tests through `npm test`, which starts the emulator');
  return host;
}

export function testPubSub(): PubSub {
  requireEmulator();
  return createPubSub(process.env.GOOGLE_CLOUD_PROJECT ?? 'hookpipe-local');
}

export async function isolatedTopology(pubsub: PubSub, overrides: Partial<Topology> = {}, pushEndpoint?: string): Promise<Topology> {
  const topology = topologyWith({ ...overrides, suffix: `-${randomBytes(4).toString('hex')}` });
  await ensureTopology(pubsub, topology, pushEndpoint === undefined ? {} : { pushEndpoint });
  return topology;
}

export interface Tap {
  messages: Message[];
  waitForCount(count: number, timeoutMs?: number): Promise<Message[]>;
  /** Stops and deletes the subscription; again, it does nothing. */
  close(): Promise<void>;
}

/** Collects (and acks) everything published to `topic` from now on. */
export async function tap(pubsub: PubSub, topic: string): Promise<Tap> {
  const name = `tap-${topic}-${randomBytes(3).toString('hex')}`;
  const [subscription]: [Subscription, ...unknown[]] = await pubsub.topic(topic).createSubscription(name);
  const messages: Message[] = [];
  // A failing stream is said when a wait times out, rather than leaving the wait to guess why nothing came.
  let lastError: Error | undefined;
  let closed = false;
  subscription.on('message', (message: Message) => {
    messages.push(message);
    message.ack();
  });
  subscription.on('error', (error: Error) => (lastError = error));
  return {
    messages,
    waitForCount: (count, timeoutMs) =>
      waitFor(
        `${count} message(s) on ${topic}`,
        () => {
          if (messages.length >= count) return messages;
          if (lastError) throw new Error(`${messages.length} so far; the tap's last error: ${lastError.message}`);
          return false;
        },
        timeoutMs,
      ),
    close: async () => {
      if (closed) return;
      closed = true;
      await subscription.close();
      // Deleting is tidying up: an emulator that is gone (the outage scenario) takes its subscriptions with it.
      await subscription.delete().catch((error: unknown) => console.warn(`tap on ${topic} not deleted: ${String(error)}`));
    },
  };
}
