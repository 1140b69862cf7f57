// One pass over the dead-letter subscription. Pub/Sub cannot be read without taking the messages, so a scan holds
// every message it pulled under lease (by its ack id and delivery id only: the caller drops the message once it has
// looked at it), renews the leases while it runs, and gives back what was not acked when it closes, with a zero ack
// deadline. A message seen twice in one scan (its lease lapsed and Pub/Sub delivered it again) is passed on once.
// What fails on the way (a renewal, an ack, a release) is logged with the delivery ids it concerns.
import type { google } from '@google-cloud/pubsub/build/protos/protos.js';
import { describeError } from '../../shared/src/errors.ts';
import type { Logger } from '../../shared/src/logger.ts';
import { batchSizer, type ScanLimits } from './scan-limits.ts';

export type Received = google.pubsub.v1.IReceivedMessage;

/** The part of the generated SubscriberClient a scan uses (it has the pull-and-release the handwritten one lacks). */
export interface SubscriberPort {
  pull(
    request: { subscription: string; maxMessages: number },
    options: { timeout: number; retry: null },
  ): Promise<[{ receivedMessages?: Received[] | null }, ...unknown[]]>;
  modifyAckDeadline(request: { subscription: string; ackIds: string[]; ackDeadlineSeconds: number }): Promise<unknown>;
  acknowledge(request: { subscription: string; ackIds: string[] }): Promise<unknown>;
}

/** How long a lease is taken for, and how often it is renewed while a scan runs. */
export const LEASE_SECONDS = 60;
export const RENEW_EVERY_MS = 20_000;
const PULL_TIMEOUT_MS = 1500;
const CHUNK = 500;
const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;

const chunks = <T>(items: T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));

/** The bytes a pulled message occupies: data, attributes and ordering key. */
export function messageBytes(received: Received): number {
  const message = received.message;
  let bytes = message?.data?.length ?? 0;
  for (const [key, value] of Object.entries(message?.attributes ?? {})) bytes += key.length + String(value).length;
  return bytes + (message?.orderingKey?.length ?? 0);
}

/** A log line names at most this many of the messages it concerns (and says how many there were). */
const LOGGED_IDS = 20;

/** The delivery id a message is logged by (its message id when it has none: a dead letter may break the contract). */
const idOf = (received: Received) => received.message?.attributes?.deliveryId ?? received.message?.messageId ?? '';

export class LeasedScan {
  readonly #client: SubscriberPort;
  readonly #subscription: string;
  readonly #limits: ScanLimits;
  readonly #logger: Logger;
  readonly #sizer;
  /** Everything pulled and not acked, ack id to delivery id: given back on close. */
  readonly #held = new Map<string, string>();
  readonly #seen = new Set<string>();
  readonly #renewal: NodeJS.Timeout;
  #empty = 0;
  #stopped = false;
  /** Distinct messages looked at. */
  scanned = 0;
  /** Pull responses refused as larger than `pullBytes`: their messages stay leased, unseen, until the lease lapses. */
  oversizedPulls = 0;
  /** The subscription had nothing more to give (rather than the scan limit or the caller stopping first). */
  exhausted = false;

  constructor(client: SubscriberPort, subscription: string, limits: ScanLimits, logger: Logger) {
    this.#client = client;
    this.#subscription = subscription;
    this.#limits = limits;
    this.#logger = logger;
    this.#sizer = batchSizer(limits);
    this.#renewal = setInterval(() => void this.#renew(), RENEW_EVERY_MS);
    this.#renewal.unref();
  }

  /** The next messages not seen before in this scan; undefined once the subscription is exhausted or the limit reached. */
  async next(): Promise<Received[] | undefined> {
    while (!this.#stopped) {
      const remaining = this.#limits.scanMessages - this.scanned;
      if (remaining <= 0) break;
      const asked = this.#sizer.next(remaining);
      let received: Received[];
      try {
        const request = { subscription: this.#subscription, maxMessages: asked };
        const [response] = await this.#client.pull(request, { timeout: PULL_TIMEOUT_MS, retry: null });
        received = response.receivedMessages ?? [];
      } catch (error) {
        const code = (error as { code?: number }).code;
        if (code === RESOURCE_EXHAUSTED) {
          this.#sizer.overflowed(asked);
          this.oversizedPulls += 1;
          this.#logger.warn(
            { asked, pullBytes: this.#limits.pullBytes },
            'a dead-letter pull was larger than the memory bound; its messages stay hidden until their lease lapses',
          );
          continue;
        }
        if (code !== DEADLINE_EXCEEDED /* nothing to pull */) throw error;
        received = [];
      }
      // An empty pull ends the scan once something came; with nothing yet, one more try, as a pull may come back empty.
      if (received.length === 0) {
        this.#empty += 1;
        if (this.#empty >= (this.scanned > 0 ? 1 : 2)) this.exhausted = true;
        if (this.exhausted) break;
        continue;
      }
      this.#empty = 0;
      this.#sizer.saw(received.map(messageBytes));
      const fresh: Received[] = [];
      for (const message of received) {
        this.#held.set(message.ackId!, idOf(message));
        const id = message.message?.messageId ?? '';
        if (this.#seen.has(id)) continue;
        this.#seen.add(id);
        fresh.push(message);
      }
      this.scanned += fresh.length;
      if (fresh.length > 0) return fresh;
    }
    this.#stopped = true;
    return undefined;
  }

  /** Acks each chunk; returns the messages whose ack failed, with why (they stay held, and come back as duplicates). */
  async ack(messages: Received[]): Promise<Map<Received, unknown>> {
    const failed = new Map<Received, unknown>();
    for (const part of chunks(messages)) {
      const ackIds = part.map((m) => m.ackId!);
      try {
        await this.#client.acknowledge({ subscription: this.#subscription, ackIds });
        for (const id of ackIds) this.#held.delete(id);
      } catch (error) {
        for (const message of part) failed.set(message, error);
        this.#logger.warn(
          { count: part.length, deliveryIds: part.slice(0, LOGGED_IDS).map(idOf), error: describeError(error) },
          'dead letters republished but not acked: they stay in the dead-letter subscription and a later redrive makes them duplicates',
        );
      }
    }
    return failed;
  }

  /** Stops renewing and gives back everything held; a failure is logged (the leases then lapse on their own). */
  async close(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#renewal);
    const held = [...this.#held.keys()];
    const ids = new Map(this.#held);
    this.#held.clear();
    for (const ackIds of chunks(held)) {
      try {
        await this.#client.modifyAckDeadline({ subscription: this.#subscription, ackIds, ackDeadlineSeconds: 0 });
      } catch (error) {
        this.#logger.warn(
          { count: ackIds.length, deliveryIds: this.#idsOf(ackIds, ids), leaseSeconds: LEASE_SECONDS, error: describeError(error) },
          'dead letters not given back: they reappear when their lease lapses',
        );
      }
    }
  }

  #idsOf(ackIds: readonly string[], ids: ReadonlyMap<string, string> = this.#held): string[] {
    return ackIds.slice(0, LOGGED_IDS).map((ackId) => ids.get(ackId) ?? '');
  }

  async #renew(): Promise<void> {
    for (const ackIds of chunks([...this.#held.keys()])) {
      try {
        await this.#client.modifyAckDeadline({ subscription: this.#subscription, ackIds, ackDeadlineSeconds: LEASE_SECONDS });
      } catch (error) {
        this.#logger.warn(
          { count: ackIds.length, deliveryIds: this.#idsOf(ackIds), error: describeError(error) },
          'dead-letter lease not renewed: these messages may be delivered again before the operation ends',
        );
      }
    }
  }
}
