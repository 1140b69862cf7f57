// The processor under trouble: killed with SIGKILL mid-load and restarted, and a handler that fails 30% of its
// calls at random. Each scenario waits until nothing accepted is left unsettled, then checks what the system
// promises (never both processed and dead-lettered, "processed" backed by the effect, settled once) and reports
// what at-least-once delivery allows (handlers run again, effects reached again) as figures.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startIngress } from '../../ingress/src/main.ts';
import { ensureTopology, type Topology } from '../../shared/src/topology.ts';
import { testFirestore, uniqueCollection } from '../support/firestore.ts';
import { FAST_RETRIES, pipelineEnv } from '../support/pipeline.ts';
import { isolatedTopology, tap, testPubSub } from '../support/pubsub.ts';
import { outcomesOf, type ServiceProcess, spawnService } from '../support/services.ts';
import { type Counts, load, type Outcomes, processorPort, report, settled } from './support.ts';

const pubsub = testPubSub();
const firestore = testFirestore();
after(async () => {
  await pubsub.close();
  await firestore.terminate();
});

interface Stage extends Outcomes {
  topology: Topology;
  ingress: Awaited<ReturnType<typeof startIngress>>;
  env: NodeJS.ProcessEnv;
  processors: ServiceProcess[];
  startProcessor(): Promise<ServiceProcess>;
  close(): Promise<void>;
}

async function stage(extraEnv: NodeJS.ProcessEnv): Promise<Stage> {
  const topology = await isolatedTopology(pubsub, { maxDeliveryAttempts: 20, ...FAST_RETRIES });
  // A fixed port: the push endpoint is set before the processor starts, and a restarted processor takes it again.
  const port = await processorPort();
  const effects = uniqueCollection('effects');
  const env = pipelineEnv(topology, {
    PORT: String(port),
    HOOKPIPE_HANDLERS: 'test/reliability/handlers.ts',
    HOOKPIPE_HANDLER_TIMEOUT_MS: '2000',
    RELIABILITY_EFFECTS: effects,
    LOG_LEVEL: 'info',
    ...extraEnv,
  });
  await ensureTopology(pubsub, topology, { pushEndpoint: `http://127.0.0.1:${port}/pubsub/push` });
  const deadLetters = await tap(pubsub, topology.deadLetterTopic);
  const ingress = await startIngress({ ...env, PORT: '0', LOG_LEVEL: 'silent' });
  const processors: ServiceProcess[] = [];
  return {
    topology,
    ingress,
    env,
    firestore,
    effects,
    ledger: env.HOOKPIPE_LEDGER_COLLECTION!,
    deadLetters,
    processors,
    async startProcessor() {
      const processor = await spawnService('processor', env);
      processors.push(processor);
      return processor;
    },
    async close() {
      for (const processor of processors) processor.child.kill('SIGKILL');
      await ingress.shutdown('test');
      await deadLetters.close();
    },
  };
}

/** What the system promises, whatever the trouble. */
function assertPromises(counts: Counts): void {
  assert.equal(counts.both, 0, 'never both processed and dead-lettered');
  assert.equal(counts.processedWithoutEffect, 0, "the ledger says processed only once the handler's effect is there");
  assert.equal(counts.settledTwice, 0, 'no event settled as processed by two deliveries');
}

test('the processor killed with SIGKILL mid-load and restarted: nothing lost, never both outcomes, settled once', async () => {
  const s = await stage({ RELIABILITY_DELAY_MS: '40' });
  try {
    const victim = await s.startProcessor();
    let restarted: Promise<unknown> | undefined;
    const result = await load(s.ingress.port, 300, 20, (index) => {
      if (index !== 100) return;
      victim.child.kill('SIGKILL');
      restarted = victim.exited.then(() => s.startProcessor());
    });
    await restarted;
    assert.equal((await victim.exited).signal, 'SIGKILL', 'the processor was still up when killed');
    assert.deepEqual([...result.statuses.keys()], [202], 'the ingress accepted every webhook; only the processor was down');
    const counts = await settled(s, result.accepted);
    report('processor SIGKILL mid-load', { ...counts });
    assertPromises(counts);
  } finally {
    await s.close();
  }
});

test('a handler failing 30% of its calls at random, transiently: every event processed, none dead-lettered, settled once', async () => {
  const s = await stage({ RELIABILITY_FAIL_RATE: '0.3' });
  try {
    const processor = await s.startProcessor();
    const result = await load(s.ingress.port, 200, 20);
    assert.equal(result.accepted.length, 200);
    const counts = await settled(s, result.accepted);
    const retries = [...outcomesOf(processor).values()].flat().filter((outcome) => outcome === 'retry').length;
    report('handler failing 30% at random', { ...counts, retries });
    assert.ok(retries > 20, `failures were injected (${retries} retries)`);
    assertPromises(counts);
    // Twenty attempts against a 30% transient failure rate: a dead letter here would be a retry gone missing.
    assert.equal(counts.deadLettered, 0, 'transient failures are retried, not dead-lettered');
  } finally {
    await s.close();
  }
});
