// The ingress's body budget follows from the memory and concurrency Terraform gives the service: the container is
// told both (Cloud Run tells it neither), and the budget they give leaves room for the rest of the process.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { readIngressConfig } from '../ingress/src/config.ts';
import { parseMemoryQuantity } from '../shared/src/settings.ts';
import { MAX_BODY_BYTES } from '../shared/src/sources.ts';
import { containerEnv, first, readTerraform, resource, type Terraform } from '../test/support/terraform.ts';

let tf: Terraform;
before(async () => {
  tf = await readTerraform('infra');
});

/** What the ingress container is given and what it is told, side by side. */
function ingressLimits(terraform: Terraform) {
  const template = first(resource(terraform, 'google_cloud_run_v2_service', 'ingress').template);
  const container = first(template.containers);
  const env = containerEnv(container);
  return {
    memory: (first(container.resources).limits as Record<string, string>).memory,
    concurrency: template.max_instance_request_concurrency,
    toldMemory: env.HOOKPIPE_MEMORY_LIMIT,
    toldConcurrency: env.HOOKPIPE_CONCURRENCY,
  };
}

function drift(terraform: Terraform): string[] {
  const limits = ingressLimits(terraform);
  const problems: string[] = [];
  if (limits.toldMemory !== limits.memory) {
    problems.push(`HOOKPIPE_MEMORY_LIMIT is ${String(limits.toldMemory)}, the container's memory limit ${limits.memory}`);
  }
  if (limits.concurrency !== '${var.ingress_concurrency}' || limits.toldConcurrency !== '${tostring(var.ingress_concurrency)}') {
    problems.push(`HOOKPIPE_CONCURRENCY is ${String(limits.toldConcurrency)}, the service's concurrency ${String(limits.concurrency)}`);
  }
  return problems;
}

test('the ingress is told the memory limit and the concurrency its service has', () => {
  assert.deepEqual(drift(tf), []);
});

test('the check catches a memory limit or a concurrency changed on one side only', () => {
  const memory = structuredClone(tf);
  const container = first(first(memory.resources.google_cloud_run_v2_service!.ingress!.template).containers);
  (first(container.resources).limits as Record<string, string>).memory = '2Gi';
  assert.match(drift(memory).join('\n'), /HOOKPIPE_MEMORY_LIMIT is 1Gi, the container's memory limit 2Gi/);

  const concurrency = structuredClone(tf);
  first(concurrency.resources.google_cloud_run_v2_service!.ingress!.template).max_instance_request_concurrency = 500;
  assert.match(drift(concurrency).join('\n'), /HOOKPIPE_CONCURRENCY is .*var.ingress_concurrency.*, the service's concurrency 500/);
});

test("with Terraform's memory and concurrency, the budget takes the largest body while leaving the process room", () => {
  const limits = ingressLimits(tf);
  const memoryBytes = parseMemoryQuantity(limits.memory!)!;
  const concurrency = Number(tf.variables.ingress_concurrency!.default);
  assert.equal(concurrency, 250);
  const config = readIngressConfig({
    HOOKPIPE_SOURCES: 'config/sources.yaml',
    HOOKPIPE_MEMORY_LIMIT: limits.memory,
    HOOKPIPE_CONCURRENCY: String(concurrency),
  });
  const budget = config.bodyBudget;

  // Every request at once with a small body fits the share kept for small bodies.
  assert.equal(budget.reservedForSmallBytes, concurrency * budget.smallBodyBytes);
  // A body as large as any source may allow fits beside them.
  assert.ok(budget.totalBytes - budget.reservedForSmallBytes >= MAX_BODY_BYTES);
  // Each held body may be in memory twice (chunks and joined Buffer, or Buffer and publish request); beside it the
  // publishes that outlived their request (ingress/src/shedding.ts) and the process itself, whose RSS peaked at 353 MB
  // in the benchmark's burst at five times the saturation rate (README, Performance).
  const measuredPeakRss = 353e6;
  const worstCase = 2 * budget.totalBytes + config.shedding.maxLateBytes + measuredPeakRss;
  assert.ok(worstCase < memoryBytes, `worst case ${worstCase} bytes of ${memoryBytes}`);
});
