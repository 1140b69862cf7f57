// Listing and replaying the dead-letter subscription. Pub/Sub has no way to read a subscription without taking
// its messages, so both pull, hold the messages under lease while they work, and give back what they do not
// consume with a zero ack deadline. A replay acks a dead letter only after its republish is confirmed: a crash in
// between leaves a duplicate (which the ledger absorbs), never a loss.
import { v1, type PubSub } from '@google-cloud/pubsub';
import type { google } from '@google-cloud/pubsub/build/protos/protos.js';
import { createLimiter } from '../limiter.ts';
import { matches, replayAttributes, viewOf, type DeadLetterFilter, type DeadLetterView } from './dead-letter-view.ts';

type Received = google.pubsub.v1.IReceivedMessage;

export interface Republisher {
  publishMessage(message: { data: Buffer; attributes: Record<string, string> }): Promise<string>;
}

export interface ReplayOptions {
  filter: DeadLetterFilter;
  /** At most this many matching messages are replayed. */
  limit?: number | undefined;
  /** Messages per second. */
  rate?: number | undefined;
  dryRun?: boolean | undefined;
  /** Messages replayed this many times already are refused, so a poison message cannot loop forever. */
  maxReplays: number;
  /** Called with the count before anything is replayed; false leaves everything as it was. */
  confirm?: ((matched: number) => Promise<boolean>) | undefined;
  onProgress?: ((done: number, total: number) => void) | undefined;
  /** Test hook: runs between the confirmed republish and the ack, where a crash would fall. */
  beforeAck?: ((view: DeadLetterView) => void | Promise<void>) | undefined;
  clock?: () => Date;
}

export interface ReplaySummary {
  scanned: number;
  matched: number;
  replayed: number;
  failed: number;
  /** Matching messages not replayed: refused (replayed too often) or past --limit. */
  skipped: number;
  refused: Array<{ deliveryId: string | undefined; messageId: string; reason: string }>;
  dryRun: boolean;
  confirmed: boolean;
}

function toDate(timestamp: google.protobuf.ITimestamp | null | undefined): Date {
  if (!timestamp) return new Date(0);
  return new Date(Number(timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6));
}

function toView(received: Received, showBody = false): DeadLetterView {
  const message = received.message!;
  return viewOf(
    {
      messageId: message.messageId ?? '',
      attributes: (message.attributes ?? {}) as Record<string, string>,
      data: Buffer.from(message.data ?? new Uint8Array()),
      publishTime: toDate(message.publishTime),
    },
    showBody,
  );
}

const chunk = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

export class DeadLetterQueue {
  readonly #client: v1.SubscriberClient;
  readonly #subscription: string;
  readonly #republisher: Republisher;
  readonly #scanLimit: number;

  constructor(pubsub: PubSub, projectId: string, subscription: string, republisher: Republisher, options: { scanLimit?: number } = {}) {
    // The handwritten client has no pull-and-release; the generated one does, and takes the same emulator settings.
    this.#client = new v1.SubscriberClient(pubsub.options as ConstructorParameters<typeof v1.SubscriberClient>[0]);
    this.#subscription = subscription.includes('/') ? subscription : `projects/${projectId}/subscriptions/${subscription}`;
    this.#republisher = republisher;
    this.#scanLimit = options.scanLimit ?? 10_000;
  }

  async close(): Promise<void> {
    await this.#client.close();
  }

  /** Pulls everything there is (up to the scan limit), keeping it leased until `release` or `ack`. */
  async #pullAll(): Promise<Received[]> {
    const all: Received[] = [];
    let empty = 0;
    // An empty pull ends the scan once something came; with nothing yet, one more try, as a pull may come back empty.
    while (all.length < this.#scanLimit && empty < (all.length > 0 ? 1 : 2)) {
      let received: Received[] = [];
      try {
        const [response] = await this.#client.pull(
          { subscription: this.#subscription, maxMessages: Math.min(1000, this.#scanLimit - all.length) },
          { timeout: 1500, retry: null },
        );
        received = response.receivedMessages ?? [];
      } catch (error) {
        if ((error as { code?: number }).code !== 4 /* DEADLINE_EXCEEDED: nothing to pull */) {
          await this.#release(all);
          throw error;
        }
      }
      empty = received.length === 0 ? empty + 1 : 0;
      all.push(...received);
    }
    return all;
  }

  async #release(messages: Received[]): Promise<void> {
    for (const part of chunk(messages.map((m) => m.ackId!), 500)) {
      if (part.length > 0) await this.#client.modifyAckDeadline({ subscription: this.#subscription, ackIds: part, ackDeadlineSeconds: 0 });
    }
  }

  async #ack(messages: Received[]): Promise<void> {
    for (const part of chunk(messages.map((m) => m.ackId!), 500)) {
      if (part.length > 0) await this.#client.acknowledge({ subscription: this.#subscription, ackIds: part });
    }
  }

  /** Keeps held messages leased while a person decides, so they are not redelivered under our feet. */
  #keepLeased(messages: Received[]): () => void {
    const timer = setInterval(() => {
      for (const part of chunk(messages.map((m) => m.ackId!), 500)) {
        void this.#client.modifyAckDeadline({ subscription: this.#subscription, ackIds: part, ackDeadlineSeconds: 60 }).catch(() => {});
      }
    }, 20_000);
    return () => clearInterval(timer);
  }

  /** What is in the dead-letter subscription, filtered; nothing is consumed. */
  async list(filter: DeadLetterFilter, options: { limit?: number | undefined; showBody?: boolean } = {}): Promise<{ items: DeadLetterView[]; scanned: number }> {
    const pulled = await this.#pullAll();
    try {
      const items = pulled.map((received) => toView(received, options.showBody)).filter((view) => matches(view, filter));
      items.sort((a, b) => a.deadLetteredAt.localeCompare(b.deadLetteredAt));
      return { items: options.limit === undefined ? items : items.slice(0, options.limit), scanned: pulled.length };
    } finally {
      await this.#release(pulled);
    }
  }

  async replay(options: ReplayOptions): Promise<ReplaySummary> {
    const clock = options.clock ?? (() => new Date());
    const pulled = await this.#pullAll();
    const stopLeasing = this.#keepLeased(pulled);
    const summary: ReplaySummary = { scanned: pulled.length, matched: 0, replayed: 0, failed: 0, skipped: 0, refused: [], dryRun: !!options.dryRun, confirmed: false };
    const untouched: Received[] = [];
    try {
      const candidates: Array<{ received: Received; view: DeadLetterView }> = [];
      for (const received of pulled) {
        const view = toView(received);
        if (!matches(view, options.filter)) untouched.push(received);
        else candidates.push({ received, view });
      }
      summary.matched = candidates.length;
      const chosen: typeof candidates = [];
      for (const candidate of candidates) {
        if (candidate.view.replayCount >= options.maxReplays) {
          summary.refused.push({
            deliveryId: candidate.view.deliveryId,
            messageId: candidate.view.messageId,
            reason: `replayed ${candidate.view.replayCount} times already (the limit is ${options.maxReplays}); fix the cause or raise the limit`,
          });
          untouched.push(candidate.received);
        } else if (options.limit !== undefined && chosen.length >= options.limit) {
          untouched.push(candidate.received);
        } else {
          chosen.push(candidate);
        }
      }
      summary.skipped = summary.matched - chosen.length;
      if (options.dryRun) {
        untouched.push(...chosen.map((c) => c.received));
        return summary;
      }
      summary.confirmed = options.confirm ? await options.confirm(chosen.length) : true;
      if (!summary.confirmed || chosen.length === 0) {
        untouched.push(...chosen.map((c) => c.received));
        return summary;
      }

      const limiter = createLimiter(options.rate ? Math.max(1, Math.min(32, Math.ceil(options.rate))) : 32);
      const started = Date.now();
      let done = 0;
      await Promise.all(
        chosen.map(async ({ received, view }, index) => {
          if (options.rate) {
            const due = started + (index * 1000) / options.rate;
            if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
          }
          await limiter.run(async () => {
            try {
              const data = Buffer.from(received.message!.data ?? new Uint8Array());
              await this.#republisher.publishMessage({ data, attributes: replayAttributes(view.attributes, clock()) });
              await options.beforeAck?.(view);
              await this.#ack([received]);
              summary.replayed += 1;
            } catch {
              // Not acked: the dead letter stays where it was for the next attempt.
              summary.failed += 1;
              untouched.push(received);
            } finally {
              done += 1;
              options.onProgress?.(done, chosen.length);
            }
          });
        }),
      );
      return summary;
    } finally {
      stopLeasing();
      await this.#release(untouched).catch(() => {});
    }
  }
}
