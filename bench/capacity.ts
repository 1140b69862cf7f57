// The capacity model of docs/capacity.md as arithmetic: from the CPU per event the benchmark measured, the instances
// and vCPUs the ingress and the processor need at a given rate of webhooks, the Pub/Sub and Firestore volumes, and
// the cost per million webhooks at Google's list prices. Pure, so the benchmark report recomputes it from each run
// and docs/capacity.md shows the same numbers worked by hand. Prices and quotas are facts with a date and a source;
// the production latencies are assumptions, named as such, because the emulators cannot measure them.

/** Google's public list prices (USD), as read on the dated pages below; free tiers are left out (marginal cost). */
export const PRICES = {
  asOf: '2026-11-25',
  cloudRun: {
    // https://cloud.google.com/run/pricing, Tier 1 regions (europe-west1 is one), request-based billing
    vcpuSecond: 0.000024,
    gibSecond: 0.0000025,
    perMillionRequests: 0.4,
  },
  pubsub: {
    // https://cloud.google.com/pubsub/pricing: throughput $40 per TiB, at least 1000 bytes per publish, push or pull
    // request; a message's volume is its data, its attributes' keys and values, 20 bytes of timestamp and its id.
    perTiB: 40,
    minBytesPerRequest: 1000,
    timestampBytes: 20,
    messageIdBytes: 16,
  },
  firestore: {
    // https://cloud.google.com/firestore/pricing, multi-region (eur3, infra's default location); a regional
    // location costs about half. TTL deletes are billed as deletes (https://cloud.google.com/firestore/docs/ttl).
    writesPer100k: 0.18,
    readsPer100k: 0.06,
    deletesPer100k: 0.02,
  },
  logging: {
    // https://cloud.google.com/stackdriver/pricing: $0.50 per GiB ingested into log buckets (past 50 GiB a month)
    perGiB: 0.5,
  },
} as const;

/** Cloud Run's autoscaler keeps instances near 60% CPU and 60% of their maximum concurrency
 * (https://cloud.google.com/run/docs/about-instance-autoscaling). */
export const CLOUD_RUN_TARGET_UTILISATION = 0.6;

/** Assumptions the emulators cannot measure: how long a request lasts in production (a Pub/Sub publish round trip
 * for the ingress; two Firestore round trips and the ack for the processor), and the log bytes per webhook. */
export const ASSUMED = {
  ingressRequestSeconds: 0.03,
  processorRequestSeconds: 0.05,
  /** Cloud Run's request log entry for the webhook and for its push (about 1 KB each), and the processor's line. */
  logBytesPerWebhook: 2500,
  /** The ingress's attributes (source, provider, deliveryId, eventType, receivedAt, contentType): keys and values. */
  attributeBytes: 150,
} as const;

export interface ServiceShape {
  /** Cloud Run's max_instance_request_concurrency. */
  concurrency: number;
  vcpu: number;
  memoryGiB: number;
  /** infra's max_instance_count. */
  maxInstances: number;
  /** CPU per webhook, measured by the benchmark. */
  cpuMicrosPerEvent: number;
  requestSeconds: number;
}

export interface ServiceNeed {
  /** CPU actually used, in vCPUs. */
  cpuVcpus: number;
  byCpu: number;
  byConcurrency: number;
  instances: number;
  /** The instances infra allows are fewer than needed. */
  overMaxInstances: boolean;
}

/** Instances to keep CPU and concurrency at the autoscaler's target; each is billed while it serves (steady load). */
export function serviceNeed(rate: number, shape: ServiceShape): ServiceNeed {
  const cpuVcpus = (rate * shape.cpuMicrosPerEvent) / 1e6;
  const byCpu = Math.ceil(cpuVcpus / (shape.vcpu * CLOUD_RUN_TARGET_UTILISATION));
  const byConcurrency = Math.ceil((rate * shape.requestSeconds) / (shape.concurrency * CLOUD_RUN_TARGET_UTILISATION));
  const instances = Math.max(1, byCpu, byConcurrency);
  return { cpuVcpus, byCpu, byConcurrency, instances, overMaxInstances: instances > shape.maxInstances };
}

/** Bytes Pub/Sub bills per webhook: the batched publish (no per-request minimum reached) and the push of one message. */
export function pubsubBytesPerWebhook(payloadBytes: number): { publish: number; push: number } {
  const message = payloadBytes + ASSUMED.attributeBytes + PRICES.pubsub.timestampBytes + PRICES.pubsub.messageIdBytes;
  return { publish: message, push: Math.max(PRICES.pubsub.minBytesPerRequest, message) };
}

export interface CostPerMillion {
  cloudRunCompute: number;
  cloudRunRequests: number;
  pubsub: number;
  firestore: number;
  logging: number;
  total: number;
}

const money = (value: number) => Math.round(value * 1000) / 1000;

/** The ledger's common path: a create and an update, no read; the TTL deletes the document later. */
export const FIRESTORE_PER_EVENT = { writes: 2, reads: 0, deletes: 1 } as const;

export function costPerMillion(rate: number, ingress: ServiceShape, processor: ServiceShape, payloadBytes = 1024): CostPerMillion {
  const secondsPerMillion = 1e6 / rate;
  const compute = (shape: ServiceShape) =>
    serviceNeed(rate, shape).instances *
    (shape.vcpu * PRICES.cloudRun.vcpuSecond + shape.memoryGiB * PRICES.cloudRun.gibSecond) *
    secondsPerMillion;
  const bytes = pubsubBytesPerWebhook(payloadBytes);
  const [f, per] = [PRICES.firestore, FIRESTORE_PER_EVENT];
  const parts = {
    cloudRunCompute: compute(ingress) + compute(processor),
    // One request to the ingress, one push to the processor.
    cloudRunRequests: 2 * PRICES.cloudRun.perMillionRequests,
    pubsub: ((bytes.publish + bytes.push) * 1e6 * PRICES.pubsub.perTiB) / 2 ** 40,
    firestore: (1e6 / 1e5) * (per.writes * f.writesPer100k + per.reads * f.readsPer100k + per.deletes * f.deletesPer100k),
    logging: (ASSUMED.logBytesPerWebhook * 1e6 * PRICES.logging.perGiB) / 2 ** 30,
  };
  const total = Object.values(parts).reduce((sum, value) => sum + value, 0);
  const rounded = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, money(v)])) as Omit<CostPerMillion, 'total'>;
  return { ...rounded, total: money(total) };
}

/** Firestore's limit on a collection whose documents hold a sequential indexed value, such as a timestamp
 * (https://cloud.google.com/firestore/docs/best-practices, "Index exemptions"). */
export const FIRESTORE_SEQUENTIAL_INDEX_WRITES_PER_SECOND = 500;

/** Minutes for a new collection to reach `opsPerSecond` under the 500/50/5 rule: start at 500 operations per
 * second, grow by 50% every 5 minutes (https://cloud.google.com/firestore/docs/best-practices, "Ramping up traffic"). */
export function rampUpMinutes(opsPerSecond: number): number {
  if (opsPerSecond <= 500) return 0;
  return 5 * Math.ceil(Math.log(opsPerSecond / 500) / Math.log(1.5));
}
