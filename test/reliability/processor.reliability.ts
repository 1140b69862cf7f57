// The processor under trouble: killed with SIGKILL mid-load and restarted, and a handler that fails 30% of its
// calls at random. Each scenario ends with the count check: accepted = processed + dead-lettered, and no effect
// applied twice.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startIngress } from '../../ingress/src/main.ts';
import { ensureTopology, type Topology } from '../../shared/src/topology.ts';
import { testFirestore, uniqueCollection } from '../support/firestore.ts';
import { isolatedTopology, tap, testPubSub, type Tap } from '../support/pubsub.ts';
import { waitFor } from '../support/wait.ts';
import { countOutcomes, load, processorPort, report, spawnProcessor, type ProcessorProcess } from './support.ts';

const pubsub = testPubSub();
const firestore = testFirestore();
after(async () => {
  await pubsub.close();
  await firestore.terminate();
});

interface Stage {
  topology: Topology;
  deadLetters: Tap;
  ingress: Awaited<ReturnType<typeof startIngress>>;
  env: NodeJS.ProcessEnv;
  effects: string;
  ledger: string;
  port: number;
}

async function stage(extraEnv: NodeJS.ProcessEnv): Promise<Stage> {
  const topology = await isolatedTopology(pubsub, { maxDeliveryAttempts: 20, minimumBackoffSeconds: 0, maximumBackoffSeconds: 1 });
  const port = await processorPort();
  const effects = uniqueCollection('effects');
  const ledger = uniqueCollection('ledger');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOOKPIPE_PUSH_AUTH: 'none',
    HOOKPIPE_HANDLERS: 'test/reliability/handlers.ts',
    HOOKPIPE_TOPIC: topology.topic,
    HOOKPIPE_DEAD_LETTER_TOPIC: topology.deadLetterTopic,
    HOOKPIPE_DEAD_LETTER_SUBSCRIPTION: topology.deadLetterSubscription,
    HOOKPIPE_PUSH_SUBSCRIPTION: topology.pushSubscription,
    HOOKPIPE_MAX_DELIVERY_ATTEMPTS: '20',
    HOOKPIPE_HANDLER_TIMEOUT_MS: '2000',
    HOOKPIPE_LEDGER_COLLECTION: ledger,
    HOOKPIPE_SOURCES: 'config/sources.local.yaml',
    RELIABILITY_EFFECTS: effects,
    LOG_LEVEL: 'info',
    ...extraEnv,
  };
  await ensureTopology(pubsub, topology, { pushEndpoint: `http://127.0.0.1:${port}/pubsub/push` });
  const deadLetters = await tap(pubsub, topology.deadLetterTopic);
  const ingress = await startIngress({ ...env, PORT: '0', LOG_LEVEL: 'silent' });
  return { topology, deadLetters, ingress, env, effects, ledger, port };
}

async function settle(s: Stage, accepted: string[]) {
  return waitFor(
    'every accepted event processed or dead-lettered',
    async () => {
      const counts = await countOutcomes(firestore, s.effects, s.ledger, accepted, s.deadLetters);
      return counts.processed + counts.deadLettered - counts.both === counts.accepted && counts;
    },
    120_000,
  );
}

let processors: ProcessorProcess[] = [];
before(() => {
  processors = [];
});
after(() => {
  for (const p of processors) p.child.kill('SIGKILL');
});

test('the processor killed with SIGKILL mid-load and restarted: nothing lost, no effect applied twice', async () => {
  const s = await stage({ RELIABILITY_DELAY_MS: '40' });
  try {
    processors.push(await spawnProcessor(s.env));
    let killedAt = -1;
    let restarted: Promise<void> | undefined;
    const result = await load(s.ingress.port, 300, 20, (index) => {
      if (index !== 100) return;
      killedAt = index;
      const victim = processors.at(-1)!;
      victim.child.kill('SIGKILL');
      restarted = victim.exited.then(async () => void processors.push(await spawnProcessor(s.env)));
    });
    await restarted;
    assert.ok(killedAt === 100);
    assert.deepEqual([...result.statuses.keys()], [202], 'the ingress accepted every webhook; only the processor was down');
    const counts = await settle(s, result.accepted);
    report('processor SIGKILL mid-load', { ...counts });
    assert.equal(counts.processed + counts.deadLettered - counts.both, counts.accepted);
    assert.equal(counts.both, 0, 'never both processed and dead-lettered');
    assert.equal(counts.appliedTwice, 0, 'no event processed twice in effect');
  } finally {
    await s.ingress.shutdown('test');
    await s.deadLetters.close();
  }
});

test('a handler failing 30% of its calls at random, transiently: every event ends processed exactly once in effect', async () => {
  const s = await stage({ RELIABILITY_FAIL_RATE: '0.3' });
  try {
    const processor = await spawnProcessor(s.env);
    processors.push(processor);
    const result = await load(s.ingress.port, 200, 20);
    assert.equal(result.accepted.length, 200);
    const counts = await settle(s, result.accepted);
    const retries = [...processor.outcomes.values()].flat().filter((outcome) => outcome === 'retry').length;
    report('handler failing 30% at random', { ...counts, retries });
    assert.ok(retries > 20, `failures were injected (${retries} retries)`);
    assert.equal(counts.processed + counts.deadLettered - counts.both, counts.accepted);
    assert.equal(counts.appliedTwice, 0);
  } finally {
    await s.ingress.shutdown('test');
    await s.deadLetters.close();
  }
});
