// What the reliability scenarios share: a load of signed webhooks, and the closing count of what became of them.
import type { Firestore } from '@google-cloud/firestore';
import { freePort } from '../../scripts/emulators.ts';
import type { Tap } from '../support/pubsub.ts';
import { outcomesOf, type ServiceProcess } from '../support/services.ts';
import { stripeWebhook } from '../support/stripe.ts';
import { waitFor } from '../support/wait.ts';

export const processorPort = freePort;

/** Sends `count` webhooks, `concurrency` at a time; returns the ids answered 202 and every status seen. */
export async function load(ingressPort: number, count: number, concurrency = 20, during?: (sent: number) => void | Promise<void>) {
  const accepted: string[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        await during?.(index);
        const webhook = stripeWebhook(ingressPort);
        const status = await webhook.status();
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 202) accepted.push(webhook.id);
      }
    }),
  );
  return { accepted, statuses };
}

/**
 * What became of the accepted events. The system promises the first counts: nothing lost (each processed or
 * dead-lettered), never both, the ledger's "processed" backed by the handler's effect, and each event settled as
 * processed by one delivery at most. Delivery is at least once, so a handler may run again, and reach its effect
 * again when an instance dies after the effect and before the ledger's write: `rerun` and `appliedTwice` are
 * figures to report, absorbed by the idempotent effect, not failures.
 */
export interface Counts {
  accepted: number;
  /** The ledger says processed. */
  processed: number;
  /** On the dead-letter topic. */
  deadLettered: number;
  /** Neither (yet). */
  unsettled: number;
  both: number;
  processedWithoutEffect: number;
  /** Logged "processed" by more than one delivery, across every processor process of the scenario. */
  settledTwice: number;
  rerun: number;
  appliedTwice: number;
}

export interface Outcomes {
  firestore: Firestore;
  /** The collections of the handlers' effects (test/reliability/handlers.ts) and of the ledger. */
  effects: string;
  ledger: string;
  deadLetters: Tap;
  processors: readonly ServiceProcess[];
}

export async function countOutcomes(where: Outcomes, accepted: readonly string[]): Promise<Counts> {
  const [effectDocs, ledgerDocs] = await Promise.all([
    where.firestore.collection(where.effects).get(),
    where.firestore.collection(where.ledger).get(),
  ]);
  const effect = new Map(effectDocs.docs.map((doc) => [doc.id, doc.data()]));
  const status = new Map(ledgerDocs.docs.map((doc) => [doc.data().deliveryId as string, doc.data().status as string]));
  const dead = new Set(where.deadLetters.messages.map((m) => m.attributes.deliveryId));
  const processedLogs = new Map<string, number>();
  for (const [id, outcomes] of where.processors.flatMap((p) => [...outcomesOf(p)])) {
    processedLogs.set(id, (processedLogs.get(id) ?? 0) + outcomes.filter((outcome) => outcome === 'processed').length);
  }
  const counts: Counts = {
    accepted: accepted.length,
    processed: 0,
    deadLettered: 0,
    unsettled: 0,
    both: 0,
    processedWithoutEffect: 0,
    settledTwice: 0,
    rerun: 0,
    appliedTwice: 0,
  };
  for (const id of accepted) {
    const processed = status.get(id) === 'processed';
    const deadLettered = dead.has(id);
    if (processed) counts.processed += 1;
    if (deadLettered) counts.deadLettered += 1;
    if (!processed && !deadLettered) counts.unsettled += 1;
    if (processed && deadLettered) counts.both += 1;
    if (processed && effect.get(id)?.applied !== 1) counts.processedWithoutEffect += 1;
    if ((processedLogs.get(id) ?? 0) > 1) counts.settledTwice += 1;
    if ((effect.get(id)?.runs ?? 0) > 1) counts.rerun += 1;
    if ((effect.get(id)?.reapplied ?? 0) > 0) counts.appliedTwice += 1;
  }
  return counts;
}

/** Waits until nothing accepted is unsettled (nothing lost), and returns the counts as they then stand. */
export function settled(where: Outcomes, accepted: readonly string[], timeoutMs = 120_000): Promise<Counts> {
  return waitFor(
    'every accepted event processed or dead-lettered',
    async () => {
      const counts = await countOutcomes(where, accepted);
      if (counts.unsettled > 0) throw new Error(`${counts.unsettled} of ${counts.accepted} neither processed nor dead-lettered`);
      return counts;
    },
    timeoutMs,
  );
}

export function report(scenario: string, values: Record<string, unknown>): void {
  const fields = Object.entries(values).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  console.log(`reliability: ${scenario}: ${fields.join(' ')}`);
}

/** Resident memory of a process, from /proc. */
export async function rssBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}
