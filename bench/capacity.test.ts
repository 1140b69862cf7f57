// The capacity model's arithmetic, checked against numbers worked by hand in docs/capacity.md.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { costPerMillion, pubsubBytesPerWebhook, rampUpMinutes, type ServiceShape, serviceNeed } from './capacity.ts';

// infra's shapes (1 vCPU; 1 GiB and concurrency 250, 512 MiB and 32), with the CPU figures docs/capacity.md works from
// (bench/results/2026-11-25T16-44-07/report.md: ingress 85 µs at 250 connections, processor 192 µs at 32).
const ingress: ServiceShape = { vcpu: 1, memoryGiB: 1, concurrency: 250, maxInstances: 100, cpuMicrosPerEvent: 85, requestSeconds: 0.03 };
const processor: ServiceShape = {
  vcpu: 1,
  memoryGiB: 0.5,
  concurrency: 32,
  maxInstances: 50,
  cpuMicrosPerEvent: 192,
  requestSeconds: 0.05,
};

test('instances follow whichever of CPU and concurrency needs more, at 60% of each', () => {
  // 100k/s x 85 µs = 8.5 vCPUs -> 15 instances at 60%; 100k/s x 30 ms = 3,000 in flight / (250 x 60%) -> 20.
  assert.deepEqual(serviceNeed(100_000, ingress), { cpuVcpus: 8.5, byCpu: 15, byConcurrency: 20, instances: 20, overMaxInstances: false });
  // 100k/s x 192 µs = 19.2 vCPUs -> 32; 5,000 in flight / (32 x 60%) -> 261, past infra's 50.
  const expected = { cpuVcpus: 19.2, byCpu: 32, byConcurrency: 261, instances: 261, overMaxInstances: true };
  assert.deepEqual(serviceNeed(100_000, processor), expected);
  // Never fewer than one instance while webhooks arrive.
  assert.equal(serviceNeed(1, ingress).instances, 1);
});

test('Pub/Sub bills the batched publish by size and each push at least 1000 bytes', () => {
  assert.deepEqual(pubsubBytesPerWebhook(1024), { publish: 1210, push: 1210 });
  assert.deepEqual(pubsubBytesPerWebhook(100), { publish: 286, push: 1000 });
});

test('the 500/50/5 rule: five minutes per 50% step from 500 operations per second', () => {
  assert.equal(rampUpMinutes(400), 0);
  assert.equal(rampUpMinutes(2000), 20); // 500 -> 750 -> 1,125 -> 1,688 -> 2,531
  assert.equal(rampUpMinutes(200_000), 75);
});

test('cost per million webhooks at 1,000/s, as worked in docs/capacity.md', () => {
  const cost = costPerMillion(1000, ingress, processor);
  // Ingress: 1 instance x ($0.000024 + 1 GiB x $0.0000025) x 1,000 s; processor: 3 instances x ($0.000024 + 0.5 x
  // $0.0000025) x 1,000 s.
  assert.equal(cost.cloudRunCompute, Math.round((0.0265 + 3 * 0.02525) * 1000) / 1000);
  assert.equal(cost.cloudRunRequests, 0.8);
  assert.equal(cost.pubsub, 0.088);
  assert.equal(cost.firestore, 3.8);
  assert.equal(cost.logging, 1.164);
  assert.equal(cost.total, 5.954);
});
