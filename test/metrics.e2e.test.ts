// The log-based metrics of infra/monitoring.tf, end to end on the emulators: the ingress and the processor run as
// Cloud Run runs them (their own processes, JSON lines on stdout, at the default level, info), behind a model of
// Cloud Run's front end that writes the request log (test/support/request-log.ts); a scripted mix of webhooks goes
// through, and every google_logging_metric in infra, applied to the stdout lines and the request log as Cloud Logging
// would apply it (test/support/logging-query.ts), counts exactly the mix: accepted webhooks per source and status
// from the request log alone (the ingress writes no line for them at info), refusals per source and code from the
// ingress's lines, per source and outcome at the processor, and one latency value per processed delivery.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { PubSub } from '@google-cloud/pubsub';
import { parse as parseYaml } from 'yaml';
import { ensureTopology } from '../shared/src/topology.ts';
import { applyLogMetric, cloudRunEntry, type LogEntry, type MetricSeries } from './support/logging-query.ts';
import { FAST_RETRIES, pipelineEnv } from './support/pipeline.ts';
import { isolatedTopology, type Tap, tap, testPubSub } from './support/pubsub.ts';
import { type FrontEnd, runAppOrigin, startFrontEnd } from './support/request-log.ts';
import { type ServiceProcess, spawnIngress, spawnService } from './support/services.ts';
import { LOCAL_SOURCES, stripeWebhook } from './support/stripe.ts';
import { readTerraform, resource, type Terraform } from './support/terraform.ts';
import { logMetrics } from './support/terraform-values.ts';
import { waitFor } from './support/wait.ts';

const PROJECT = 'my-project';
const GITHUB_SECRET: string = (() => {
  const file = parseYaml(readFileSync(LOCAL_SOURCES, 'utf8')) as { sources?: Array<{ name?: string; secrets?: unknown[] }> };
  const secret = file.sources?.find((source) => source.name === 'github')?.secrets?.[0];
  if (typeof secret !== 'string') throw new Error(`${LOCAL_SOURCES} has no source "github" with an inline secret`);
  return secret;
})();

let tf: Terraform;
let pubsub: PubSub;
let ingress: ServiceProcess;
let processor: ServiceProcess;
let deadLetters: Tap;
let frontEnd: FrontEnd;
let ingressService: string;
let processorService: string;
before(async () => {
  tf = await readTerraform('infra');
  ingressService = String(resource(tf, 'google_cloud_run_v2_service', 'ingress').name);
  processorService = String(resource(tf, 'google_cloud_run_v2_service', 'processor').name);
  pubsub = testPubSub();
  const topology = await isolatedTopology(pubsub, { maxDeliveryAttempts: 5, ...FAST_RETRIES });
  // The level the services run at by default (shared/src/config.ts): lines written below it are never counted.
  const env = pipelineEnv(topology, { HOOKPIPE_HANDLERS: 'test/support/metrics-handlers.ts', LOG_LEVEL: 'info' });
  processor = await spawnService('processor', env);
  await ensureTopology(pubsub, topology, { pushEndpoint: `http://127.0.0.1:${processor.port}/pubsub/push` });
  deadLetters = await tap(pubsub, topology.deadLetterTopic);
  ingress = await spawnIngress(env);
  frontEnd = await startFrontEnd(ingress.port, { projectId: PROJECT, service: ingressService, origin: runAppOrigin(ingressService) });
});
after(async () => {
  await frontEnd?.close();
  for (const service of [ingress, processor]) {
    if (!service) continue;
    service.child.kill('SIGTERM');
    await service.exited;
  }
  await deadLetters?.close();
  await pubsub?.close();
});

/** Every request goes through the front end, as on Cloud Run. */
const url = (path: string) => `http://127.0.0.1:${frontEnd.port}${path}`;
async function post(path: string, headers: Record<string, string>, body: string): Promise<number> {
  const response = await fetch(url(path), { method: 'POST', headers, body });
  await response.arrayBuffer();
  return response.status;
}
/** A Stripe event signed as Stripe signs it, or with a signature of the right shape that no secret made. */
const stripe = (id: string, options: { type?: string; forged?: boolean } = {}) => {
  const webhook = stripeWebhook(frontEnd.port, { id, ...(options.type ? { type: options.type } : {}) });
  const forged = `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`;
  return post('/webhooks/stripe', options.forged ? { ...webhook.headers, 'stripe-signature': forged } : webhook.headers, webhook.body);
};
/** A push event, signed as GitHub signs (HMAC-SHA256 of the body, hex), or with a wrong signature. */
const github = (delivery: string, signed = true) => {
  const body = JSON.stringify({ ref: 'refs/heads/main', after: delivery });
  const signature = createHmac('sha256', signed ? GITHUB_SECRET : 'not-the-secret')
    .update(body)
    .digest('hex');
  return post(
    '/webhooks/github',
    {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': delivery,
      'x-hub-signature-256': `sha256=${signature}`,
    },
    body,
  );
};

/** The lines a service wrote, as the LogEntries Cloud Logging makes of them (a parsed line written back as it came). */
const entries = (service: ServiceProcess, name: string): LogEntry[] =>
  service.logs.map((line) => cloudRunEntry(JSON.stringify(line), { projectId: PROJECT, service: name }));

const sorted = (series: MetricSeries[]) =>
  series.map(({ labels, count }) => ({ labels, count })).sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));

test('the log-based metrics counted from the services’ stdout equal a scripted mix of outcomes', async () => {
  const run = randomUUID().slice(0, 8);
  const ok = [1, 2, 3].map((n) => `evt_ok_${run}_${n}`);
  const [flaky, perm, duplicate, ignored] = ['flaky', 'perm', 'dup', 'other'].map((kind) => `evt_${kind}_${run}`) as [
    string,
    string,
    string,
    string,
  ];
  const pushes = [1, 2].map((n) => `gh-${run}-${n}`);
  const expect = (status: number, wanted: number, what: string) => assert.equal(status, wanted, what);

  // Accepted: every one answered 202 once Pub/Sub has it.
  for (const id of [...ok, flaky, perm, duplicate]) expect(await stripe(id), 202, id);
  expect(await stripe(ignored, { type: 'customer.created' }), 202, 'an event no handler takes');
  for (const id of pushes) expect(await github(id), 202, id);
  // Refused: bad signatures, an unknown source, a body over the source's maxBodyBytes (512kb).
  expect(await stripe(`evt_forged_${run}_1`, { forged: true }), 401, 'forged stripe 1');
  expect(await stripe(`evt_forged_${run}_2`, { forged: true }), 401, 'forged stripe 2');
  expect(await github(`gh-forged-${run}`, false), 401, 'forged github');
  expect(await post('/webhooks/no-such-source', { 'content-type': 'application/json' }, '{}'), 404, 'unknown source');
  const large = JSON.stringify({ id: `evt_large_${run}`, padding: 'x'.repeat(600 * 1024) });
  expect(await post('/webhooks/stripe', { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' }, large), 413, 'too large');
  // The same delivery again once it is processed, as a provider's retry would send it.
  const settledAs = (id: string, outcome: string) =>
    processor.logs.some((line) => line.event === 'delivery' && line.deliveryId === id && line.outcome === outcome);
  await waitFor(`${duplicate} processed`, () => settledAs(duplicate, 'processed'), 30_000);
  expect(await stripe(duplicate), 202, 'the duplicate');

  // 3 ok, flaky, perm, duplicate twice, ignored, 2 pushes: 10 accepted; 5 refused.
  const [accepted, refused] = [10, 5];
  await waitFor(
    'every delivery settled and every request logged',
    () =>
      [...ok, flaky, duplicate, ...pushes].every((id) => settledAs(id, 'processed')) &&
      settledAs(perm, 'dead-lettered') &&
      settledAs(ignored, 'ignored') &&
      settledAs(duplicate, 'duplicate') &&
      frontEnd.entries.length >= accepted + refused &&
      ingress.logs.filter((line) => line.event === 'webhook').length >= refused,
    60_000,
  );
  await deadLetters.waitForCount(1);

  // At the default level the ingress wrote a line for each refusal and none for an accepted webhook: the accepted
  // count below comes from the request log alone.
  assert.deepEqual(
    ingress.logs.filter((line) => line.event === 'webhook').map((line) => line.outcome),
    Array(refused).fill('refused'),
  );
  assert.equal(frontEnd.entries.length, accepted + refused, 'one request-log entry per request');
  const logged = [...entries(ingress, ingressService), ...entries(processor, processorService), ...frontEnd.entries];
  const metrics = logMetrics(tf, PROJECT);
  const count = (id: string) => sorted(applyLogMetric(metrics[id]!, logged));

  assert.deepEqual(count('webhooks_accepted'), [
    { labels: { source: 'github', status: '202' }, count: 2 },
    { labels: { source: 'stripe', status: '202' }, count: 8 },
  ]);
  assert.deepEqual(count('webhooks'), [
    { labels: { code: 'not_found', outcome: 'refused', source: '' }, count: 1 },
    { labels: { code: 'payload_too_large', outcome: 'refused', source: 'stripe' }, count: 1 },
    { labels: { code: 'unauthorized', outcome: 'refused', source: 'github' }, count: 1 },
    { labels: { code: 'unauthorized', outcome: 'refused', source: 'stripe' }, count: 2 },
  ]);
  assert.deepEqual(count('deliveries'), [
    { labels: { outcome: 'dead-lettered', source: 'stripe' }, count: 1 },
    { labels: { outcome: 'duplicate', source: 'stripe' }, count: 1 },
    { labels: { outcome: 'ignored', source: 'stripe' }, count: 1 },
    { labels: { outcome: 'processed', source: 'github' }, count: 2 },
    { labels: { outcome: 'processed', source: 'stripe' }, count: 5 },
    { labels: { outcome: 'retry', source: 'stripe' }, count: 1 },
  ]);
  // One latency per processed delivery, each its own line's.
  const latency = applyLogMetric(metrics.delivery_latency!, logged);
  const processedLatencies = (source: string) =>
    processor.logs
      .filter((line) => line.event === 'delivery' && line.outcome === 'processed' && line.source === source)
      .map((line) => Number(line.latencyMs))
      .sort((a, b) => a - b);
  assert.deepEqual(
    latency
      .map(({ labels, values }) => ({ labels, values: [...values].sort((a, b) => a - b) }))
      .sort((a, b) => a.labels.source!.localeCompare(b.labels.source!)),
    [
      { labels: { source: 'github' }, values: processedLatencies('github') },
      { labels: { source: 'stripe' }, values: processedLatencies('stripe') },
    ],
  );
  for (const { values } of latency) for (const value of values) assert.ok(value >= 0 && value < 60_000, `latency ${value} ms`);
  assert.deepEqual(latency.map(({ count }) => count).sort(), [2, 5], 'one value per processed delivery: 2 pushes, 5 payments');
  assert.deepEqual([...ingress.problems, ...processor.problems.filter((line) => !line.includes('"dead-lettered"'))], []);
});
