// The dead-letter queue: listing the dead-letter subscription and redriving what it holds (republishing dead letters
// to the events topic), within the memory bound of scan-limits.ts. A listing keeps a page of views and can stop
// pulling once the page is full; a redrive republishes each pulled batch before it pulls the next, so it holds one
// pull response at a time however many it sends back. A redrive acks a dead letter only after its republish is
// confirmed: a crash in between leaves a duplicate (which the ledger absorbs), never a loss. A republish keeps the
// dead letter's ordering key, so events about one resource stay in order after a redrive. (Seeking the push
// subscription back in time is the other way to process events again: seek.ts.)
//
// Each listed dead letter says when the subscription drops it (its publication plus the subscription's message
// retention, read from the subscription once and kept), and `survey` counts the queue and finds its oldest message
// for the stats (stats.ts) with the same bounded scan, keeping nothing but a count and a time.
import { type PubSub, v1 } from '@google-cloud/pubsub';
import type { google } from '@google-cloud/pubsub/build/protos/protos.js';
import { buildRedriveAttributes } from '../../shared/src/contract.ts';
import { describeError } from '../../shared/src/errors.ts';
import { createLimiter } from '../../shared/src/limiter.ts';
import type { Logger } from '../../shared/src/logger.ts';
import { type OutgoingMessage, type PublishPort, publishConfirmed, retentionSecondsOf } from '../../shared/src/pubsub.ts';
import { type DeadLetterFilter, type DeadLetterView, expiryOf, matches, viewOf } from './dead-letter-view.ts';
import { LeasedScan, type Received, type SubscriberPort } from './leased-scan.ts';
import { DEFAULT_SCAN_LIMITS, type ScanLimits, viewBytes } from './scan-limits.ts';

export interface ListOptions {
  /** At most this many items (none: as many as the page's bytes allow). */
  limit?: number | undefined;
  showBody?: boolean | undefined;
  /** Stop pulling once the page is full (the admin page); the CLI counts everything that matches instead. */
  stopWhenFull?: boolean | undefined;
}

export interface DeadLetterPage {
  items: DeadLetterView[];
  /** Distinct dead letters looked at. */
  scanned: number;
  /** Of those, how many match the filter (at least `items.length`). */
  matched: number;
  /** More may match than `items`: the page filled up, the scan stopped early, or an oversized pull hid some. */
  more: boolean;
  oversizedPulls: number;
}

/** What the stats show of the queue: how many wait, and the oldest; `atLeast` when the scan stopped at its limit. */
export interface DeadLetterSurvey {
  depth: number;
  atLeast: boolean;
  oldestPublishTime?: Date | undefined;
  /** The subscription's message retention; undefined when it could not be read (the failure is logged). */
  retentionSeconds?: number | undefined;
}

/** How long a retention read from the subscription is trusted before it is read again. */
const RETENTION_TTL_MS = 10 * 60 * 1000;

export interface RedriveOptions {
  filter: DeadLetterFilter;
  /** At most this many matching messages are redriven. */
  limit?: number | undefined;
  /** Messages per second. */
  rate?: number | undefined;
  dryRun?: boolean | undefined;
  /** Messages redriven this many times already are refused (HOOKPIPE_MAX_REPLAYS), so a poison message cannot loop forever. */
  maxReplays: number;
  /** Called with the count before anything is redriven; false leaves everything as it was. */
  confirm?: ((matched: number) => Promise<boolean>) | undefined;
  onProgress?: ((done: number, total: number) => void) | undefined;
  /** Once aborted, no further republish starts; what was not started stays where it was and counts as skipped. */
  signal?: AbortSignal | undefined;
  /** Test hook: runs between the confirmed republish and the ack, where a crash would fall. */
  beforeAck?: ((view: DeadLetterView) => void | Promise<void>) | undefined;
  clock?: () => Date;
}

export interface RedriveFailure {
  deliveryId: string | undefined;
  messageId: string;
  /** republish: not sent, the dead letter stays; ack: sent, but the dead letter stays too and comes back as a duplicate. */
  stage: 'republish' | 'ack';
  error: { class: string; message: string };
}

/** The counts keep the names the CLI's --json and the admin page have always shown (`replayed`: redriven). */
export interface RedriveSummary {
  scanned: number;
  matched: number;
  /** Republished and acked. */
  replayed: number;
  /** Republished but not acked: still a dead letter, and a later redrive of it is a duplicate the ledger absorbs. */
  ackFailed: number;
  /** Not republished: left as it was. */
  failed: number;
  /** Matching messages not redriven: refused (redriven too often), past the limit, or not started in time. */
  skipped: number;
  refused: Array<{ deliveryId: string | undefined; messageId: string; reason: string }>;
  /** The first failures, with their reason (all of them are logged). */
  failures: RedriveFailure[];
  dryRun: boolean;
  confirmed: boolean;
}

/** A redrive's summary before its scan: nothing counted yet; a dry run unless it publishes. */
export function emptySummary(publish: boolean): RedriveSummary {
  return {
    scanned: 0,
    matched: 0,
    replayed: 0,
    ackFailed: 0,
    failed: 0,
    skipped: 0,
    refused: [],
    failures: [],
    dryRun: !publish,
    confirmed: publish,
  };
}

/** The lists in a summary are capped: a summary is an answer to show, and every item is in the log anyway. */
const LISTED = 20;

function toDate(timestamp: google.protobuf.ITimestamp | null | undefined): Date {
  if (!timestamp) return new Date(0);
  return new Date(Number(timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6));
}

/** The message's bytes as a Buffer over the same memory: a view, not a copy of up to 10 MB. */
function dataOf(received: Received): Buffer {
  const data = received.message?.data;
  if (!data || typeof data === 'string') return Buffer.from(data ?? '', 'base64');
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function toView(received: Received, showBody = false): DeadLetterView {
  const message = received.message!;
  return viewOf(
    {
      messageId: message.messageId ?? '',
      attributes: (message.attributes ?? {}) as Record<string, string>,
      data: dataOf(received),
      publishTime: toDate(message.publishTime),
      orderingKey: message.orderingKey ?? undefined,
    },
    showBody,
  );
}

/** The dead letter as it goes back to the events topic: the original bytes and attributes, and its ordering key. */
function republished(received: Received, view: DeadLetterView, now: Date): OutgoingMessage {
  return {
    data: dataOf(received),
    attributes: buildRedriveAttributes(view.attributes, now),
    ...(view.orderingKey ? { orderingKey: view.orderingKey } : {}),
  };
}

/** What one redrive pass passes to each batch it sends. */
type RedriveRun = RedriveOptions & {
  clock: () => Date;
  pace: () => Promise<void>;
  limiter: ReturnType<typeof createLimiter>;
  total: () => number;
  done: () => number;
};

/** Paces starts at `rate` per second from the first; none when no rate is set. */
function pacer(rate: number | undefined) {
  let started: number | undefined;
  let index = 0;
  return async () => {
    if (!rate) return;
    started ??= Date.now();
    const due = started + (index++ * 1000) / rate;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
  };
}

export class DeadLetterQueue {
  readonly #client: SubscriberPort & { close(): Promise<void> };
  readonly #subscription: string;
  readonly #republisher: PublishPort;
  readonly #limits: ScanLimits;
  readonly #logger: Logger;
  readonly #readRetention: () => Promise<number>;
  #retention: { at: number; seconds: number } | undefined;

  constructor(
    pubsub: PubSub,
    projectId: string,
    subscription: string,
    republisher: PublishPort,
    options: {
      logger: Logger;
      limits?: Partial<ScanLimits>;
      client?: SubscriberPort & { close(): Promise<void> };
      /** How the subscription's message retention is read (seconds); by default from its metadata. */
      readRetention?: () => Promise<number>;
    },
  ) {
    this.#limits = { ...DEFAULT_SCAN_LIMITS, ...options.limits };
    // The generated client has the pull-and-release the handwritten one lacks, and takes the same emulator settings;
    // gRPC refuses a pull response over the bound from its length prefix, before reading it.
    this.#client =
      options.client ??
      (new v1.SubscriberClient({
        ...(pubsub.options as ConstructorParameters<typeof v1.SubscriberClient>[0]),
        'grpc.max_receive_message_length': this.#limits.pullBytes,
      } as ConstructorParameters<typeof v1.SubscriberClient>[0]) as unknown as SubscriberPort & { close(): Promise<void> });
    this.#subscription = subscription.includes('/') ? subscription : `projects/${projectId}/subscriptions/${subscription}`;
    this.#republisher = republisher;
    this.#logger = options.logger;
    this.#readRetention =
      options.readRetention ??
      (async () => {
        const [metadata] = await pubsub.subscription(this.#subscription).getMetadata({ timeout: 10_000 });
        return retentionSecondsOf(metadata);
      });
  }

  /**
   * The dead-letter subscription's message retention, read from it at most every 10 minutes; undefined when it cannot
   * be read (logged): a listing or a count is still worth showing without expiries.
   */
  async retentionSeconds(): Promise<number | undefined> {
    if (this.#retention && Date.now() - this.#retention.at < RETENTION_TTL_MS) return this.#retention.seconds;
    try {
      this.#retention = { at: Date.now(), seconds: await this.#readRetention() };
      return this.#retention.seconds;
    } catch (error) {
      const fields = { subscription: this.#subscription, error: describeError(error) };
      this.#logger.warn(fields, 'the dead-letter subscription could not be read; dead letters are shown without their expiry');
      return undefined;
    }
  }

  /** How many dead letters (matching `filter`) wait, and the oldest's publication; nothing is kept and nothing consumed. */
  async survey(filter: DeadLetterFilter = {}): Promise<DeadLetterSurvey> {
    const retention = this.retentionSeconds();
    const scan = this.#scan();
    let depth = 0;
    let oldest: Date | undefined;
    try {
      for (let batch = await scan.next(); batch; batch = await scan.next()) {
        for (const received of batch) {
          if (!matches(toView(received), filter)) continue;
          depth += 1;
          const published = toDate(received.message?.publishTime);
          if (!oldest || published < oldest) oldest = published;
        }
      }
    } finally {
      await scan.close();
    }
    return {
      depth,
      atLeast: !scan.exhausted || scan.oversizedPulls > 0,
      oldestPublishTime: oldest,
      retentionSeconds: await retention,
    };
  }

  async close(): Promise<void> {
    await this.#client.close();
  }

  #scan(): LeasedScan {
    return new LeasedScan(this.#client, this.#subscription, this.#limits, this.#logger);
  }

  /** What is in the dead-letter subscription, filtered; nothing is consumed. */
  async list(filter: DeadLetterFilter, options: ListOptions = {}): Promise<DeadLetterPage> {
    const retention = this.retentionSeconds();
    const scan = this.#scan();
    const items: DeadLetterView[] = [];
    let bytes = 0;
    let matched = 0;
    let full = false;
    try {
      for (let batch = await scan.next(); batch; batch = await scan.next()) {
        for (const received of batch) {
          const view = toView(received);
          if (!matches(view, filter)) continue;
          matched += 1;
          if (full) continue;
          const kept = options.showBody ? toView(received, true) : view;
          const size = viewBytes(kept);
          // The first item always fits: one dead letter is at most Pub/Sub's 10 MB.
          if (items.length > 0 && bytes + size > this.#limits.pageBytes) {
            full = true;
            continue;
          }
          items.push(kept);
          bytes += size;
          if (options.limit !== undefined && items.length >= options.limit) full = true;
        }
        if (full && options.stopWhenFull) break;
      }
    } finally {
      await scan.close();
    }
    items.sort((a, b) => a.deadLetteredAt.localeCompare(b.deadLetteredAt));
    const retentionSeconds = await retention;
    if (retentionSeconds !== undefined) for (const item of items) item.expiresAt = expiryOf(item.publishedAt, retentionSeconds);
    const more = matched > items.length || !scan.exhausted || scan.oversizedPulls > 0;
    return { items, scanned: scan.scanned, matched, more, oversizedPulls: scan.oversizedPulls };
  }

  /** Republishes the dead letters that match to the events topic, each acked once its republish is confirmed. */
  async redrive(options: RedriveOptions): Promise<RedriveSummary> {
    if (options.dryRun) return this.#pass(options, false);
    let limit = options.limit;
    if (options.confirm) {
      // Counted first, everything given back while a person decides; then the redrive pulls again.
      const preview = await this.#pass(options, false);
      const count = preview.matched - preview.skipped;
      const confirmed = await options.confirm(count);
      if (!confirmed || count === 0) return { ...preview, dryRun: false, confirmed };
      limit = Math.min(count, limit ?? count);
    }
    return this.#pass({ ...options, limit }, true);
  }

  /** One scan: counts what matches, and republishes the chosen ones batch by batch when `publish`. */
  async #pass(options: RedriveOptions, publish: boolean): Promise<RedriveSummary> {
    const clock = options.clock ?? (() => new Date());
    const summary = emptySummary(publish);
    const scan = this.#scan();
    const pace = pacer(options.rate);
    const limiter = createLimiter(options.rate ? Math.max(1, Math.min(32, Math.ceil(options.rate))) : 32);
    let chosen = 0;
    let started = 0;
    const total = () => options.limit ?? chosen;
    try {
      for (let batch = await scan.next(); batch; batch = await scan.next()) {
        const sending: Array<{ received: Received; view: DeadLetterView }> = [];
        for (const received of batch) {
          const view = toView(received);
          if (!matches(view, options.filter)) continue;
          summary.matched += 1;
          if (view.replayCount >= options.maxReplays) {
            if (summary.refused.length < LISTED) {
              summary.refused.push({
                deliveryId: view.deliveryId,
                messageId: view.messageId,
                reason:
                  `redriven ${view.replayCount} times already (the limit is ${options.maxReplays}, HOOKPIPE_MAX_REPLAYS); ` +
                  'fix the cause or raise the limit',
              });
            }
            continue;
          }
          if (options.limit !== undefined && chosen >= options.limit) continue;
          chosen += 1;
          sending.push({ received, view });
        }
        if (!publish) continue;
        // Within a batch, what shares an ordering key goes back in the order the ingress received it.
        sending.sort((a, b) => (a.view.attributes.receivedAt ?? '').localeCompare(b.view.attributes.receivedAt ?? ''));
        const done = () => summary.replayed + summary.failed + summary.ackFailed;
        started += await this.#send(sending, scan, summary, { ...options, clock, pace, limiter, total, done });
        if (options.signal?.aborted) break;
      }
    } finally {
      await scan.close();
    }
    summary.scanned = scan.scanned;
    summary.skipped = summary.matched - (publish ? started : chosen);
    return summary;
  }

  /** Republishes a batch (paced, 32 at once at most), then acks what was confirmed; returns how many were started. */
  async #send(
    sending: Array<{ received: Received; view: DeadLetterView }>,
    scan: LeasedScan,
    summary: RedriveSummary,
    run: RedriveRun,
  ): Promise<number> {
    const fail = (stage: RedriveFailure['stage'], view: DeadLetterView, error: unknown) => {
      const ids = { deliveryId: view.deliveryId, messageId: view.messageId };
      const what = stage === 'ack' ? 'dead letter republished but not acked' : 'dead letter not republished; left in place';
      this.#logger.warn({ ...ids, error: describeError(error) }, what);
      if (summary.failures.length < LISTED) summary.failures.push({ ...ids, stage, error: describeError(error) });
    };
    let started = 0;
    const confirmed: Array<{ received: Received; view: DeadLetterView }> = [];
    await Promise.all(
      sending.map(async ({ received, view }) => {
        await run.pace();
        await run.limiter.run(async () => {
          if (run.signal?.aborted) return;
          started += 1;
          const message = republished(received, view, run.clock());
          try {
            await publishConfirmed(this.#republisher, message);
          } catch (error) {
            // Not sent, not acked: the dead letter stays where it was for the next attempt.
            summary.failed += 1;
            fail('republish', view, error);
            run.onProgress?.(run.done(), run.total());
            return;
          }
          try {
            await run.beforeAck?.(view);
            confirmed.push({ received, view });
          } catch (error) {
            summary.ackFailed += 1;
            fail('ack', view, error);
            run.onProgress?.(run.done(), run.total());
          }
        });
      }),
    );
    const notAcked = await scan.ack(confirmed.map((c) => c.received));
    for (const { received, view } of confirmed) {
      if (notAcked.has(received)) {
        summary.ackFailed += 1;
        fail('ack', view, notAcked.get(received));
      } else {
        summary.replayed += 1;
      }
    }
    run.onProgress?.(run.done(), run.total());
    return started;
  }
}
