// What the reliability scenarios share: a processor in its own process (so it can be killed), a load of signed
// webhooks, and the closing count check.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Firestore } from '@google-cloud/firestore';
import Stripe from 'stripe';
import { freePort } from '../../scripts/emulators.ts';
import type { Tap } from '../support/pubsub.ts';

export interface ProcessorProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  outcomes: Map<string, string[]>;
}

/** Starts `node processor/src/main.ts` and resolves once it listens; its delivery log lines are collected. */
export function spawnProcessor(env: NodeJS.ProcessEnv, outcomes = new Map<string, string[]>()): Promise<ProcessorProcess> {
  const child = spawn(process.execPath, ['processor/src/main.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { message?: string; deliveryId?: string; outcome?: string };
      if (entry.message === 'processor listening') resolve({ child, exited, outcomes });
      if (entry.deliveryId && entry.outcome) outcomes.set(entry.deliveryId, [...(outcomes.get(entry.deliveryId) ?? []), entry.outcome]);
    });
    void exited.then((code) => reject(new Error(`the processor exited (${code}) before listening`)));
  });
}

export const processorPort = freePort;

export function stripeWebhook(ingressPort: number) {
  const id = `evt_${randomUUID().replaceAll('-', '')}`;
  const body = JSON.stringify({ id, object: 'event', type: 'payment_intent.succeeded', created: Math.floor(Date.now() / 1000), data: { object: { id: `pi_${id}`, amount: 100 } } });
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_local_stripe_secret' });
  return {
    id,
    send: () =>
      fetch(`http://127.0.0.1:${ingressPort}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body }).then(
        async (response) => {
          await response.arrayBuffer();
          return response.status;
        },
        () => 0,
      ),
  };
}

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
        const status = await webhook.send();
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 202) accepted.push(webhook.id);
      }
    }),
  );
  return { accepted, statuses };
}

export interface Counts {
  accepted: number;
  processed: number;
  deadLettered: number;
  /** Deliveries whose handler ran more than once (at least once delivery), absorbed by the idempotent effect. */
  rerun: number;
  /** Effects applied more than once: must be 0. */
  appliedTwice: number;
}

/** The closing check: every accepted event is processed (its effect applied once) or dead-lettered, never both. */
export async function countOutcomes(firestore: Firestore, effects: string, ledger: string, accepted: string[], deadLetters: Tap): Promise<Counts & { both: number }> {
  const [effectDocs, ledgerDocs] = await Promise.all([firestore.collection(effects).get(), firestore.collection(ledger).get()]);
  const effect = new Map(effectDocs.docs.map((doc) => [doc.id, doc.data()]));
  const status = new Map(ledgerDocs.docs.map((doc) => [doc.data().deliveryId as string, doc.data().status as string]));
  const dead = new Set(deadLetters.messages.map((m) => m.attributes.deliveryId));
  const counts = { accepted: accepted.length, processed: 0, deadLettered: 0, rerun: 0, appliedTwice: 0, both: 0 };
  for (const id of accepted) {
    const processed = status.get(id) === 'processed' && effect.get(id)?.applied === 1;
    if (processed) counts.processed += 1;
    if (dead.has(id)) counts.deadLettered += 1;
    if (processed && dead.has(id)) counts.both += 1;
    if ((effect.get(id)?.runs ?? 0) > 1) counts.rerun += 1;
    if ((effect.get(id)?.reapplied ?? 0) > 0) counts.appliedTwice += 1;
  }
  return counts;
}

export function report(scenario: string, values: Record<string, unknown>): void {
  console.log(`reliability: ${scenario}: ${Object.entries(values).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ')}`);
}

export interface IngressProcess {
  child: ChildProcess;
  port: number;
  exited: Promise<{ code: number | null; at: number }>;
  /** Its log lines above INFO, to explain a failure. */
  problems: string[];
}

/** Starts `node ingress/src/main.ts` in its own process and resolves with its port once it logs that it listens. */
export function spawnIngress(env: NodeJS.ProcessEnv): Promise<IngressProcess> {
  const child = spawn(process.execPath, ['ingress/src/main.ts'], { env: { ...env, PORT: '0', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
  const problems: string[] = [];
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { message?: string; port?: number; severity?: string };
      if (entry.message === 'ingress listening') resolve({ child, port: entry.port!, exited, problems });
      if (entry.severity === 'ERROR' || entry.severity === 'CRITICAL' || entry.message?.includes('shutting down')) problems.push(line.slice(0, 600));
    });
    void exited.then(({ code }) => reject(new Error(`the ingress exited (${code}) before listening`)));
  });
}

/** Resident memory of a process, from /proc. */
export async function rssBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}
