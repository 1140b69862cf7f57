// The ingress's shedding (ingress/src/shedding.ts) follows from what Terraform gives the service: with the memory,
// concurrency and request timeout of infra/run.tf, a healthy Pub/Sub at full concurrency (and far past it) sees no
// refusal, the bound on late publishes is derived from the memory limit, and a publish is refused or answered before
// Cloud Run's request timeout cuts the request off.
import assert from 'node:assert/strict';
import { afterEach, before, mock, test } from 'node:test';
import { type IngressConfig, readIngressConfig } from '../ingress/src/config.ts';
import { createBoundedPublisher, type TopicPort } from '../ingress/src/publisher.ts';
import { LATE_BYTES_SHARE_OF_MEMORY } from '../ingress/src/shedding.ts';
import { parseMemoryQuantity } from '../shared/src/settings.ts';
import { containerEnv, first, readTerraform, resource, type Terraform } from '../test/support/terraform.ts';

let tf: Terraform;
before(async () => {
  tf = await readTerraform('infra');
});
afterEach(() => mock.timers.reset());

/** The ingress's configuration as Terraform deploys it: the container's literal variables, its concurrency from the variable's default. */
function deployed(terraform: Terraform): { config: IngressConfig; memoryBytes: number; concurrency: number; requestTimeoutMs: number } {
  const template = first(resource(terraform, 'google_cloud_run_v2_service', 'ingress').template);
  const container = first(template.containers);
  const concurrency = Number(terraform.variables.ingress_concurrency!.default);
  const env: NodeJS.ProcessEnv = { HOOKPIPE_SOURCES: 'config/sources.yaml' };
  for (const [name, value] of Object.entries(containerEnv(container))) {
    if (typeof value === 'string' && !value.includes('${')) env[name] = value;
  }
  env.HOOKPIPE_CONCURRENCY = String(concurrency);
  const timeout = /^(\d+)s$/.exec(String(template.timeout));
  assert.ok(timeout, `the ingress's request timeout ${String(template.timeout)} is in seconds`);
  return {
    config: readIngressConfig(env),
    memoryBytes: parseMemoryQuantity((first(container.resources).limits as Record<string, string>).memory!)!,
    concurrency,
    requestTimeoutMs: Number(timeout[1]) * 1000,
  };
}

/** What would make the deployed ingress shed wrongly or answer too late. */
function drift(terraform: Terraform): string[] {
  const { config, memoryBytes, requestTimeoutMs } = deployed(terraform);
  const problems: string[] = [];
  if (config.HOOKPIPE_PUBLISH_TIMEOUT_MS >= requestTimeoutMs) {
    const deadline = `HOOKPIPE_PUBLISH_TIMEOUT_MS ${config.HOOKPIPE_PUBLISH_TIMEOUT_MS} ms`;
    problems.push(`${deadline} is not below the service's request timeout ${requestTimeoutMs} ms`);
  }
  if (config.shedding.maxLateBytes > memoryBytes * LATE_BYTES_SHARE_OF_MEMORY) {
    const share = `${LATE_BYTES_SHARE_OF_MEMORY} of ${memoryBytes}`;
    problems.push(`late publishes may hold ${config.shedding.maxLateBytes} bytes, more than ${share}`);
  }
  return problems;
}

test("the deployed ingress answers a publish before Cloud Run's request timeout, and its late-bytes bound follows its memory", () => {
  assert.deepEqual(drift(tf), []);
  const { config, memoryBytes } = deployed(tf);
  assert.equal(config.shedding.maxLateBytes, Math.floor(memoryBytes * LATE_BYTES_SHARE_OF_MEMORY));
  assert.ok(config.shedding.slowMs < config.HOOKPIPE_PUBLISH_TIMEOUT_MS);
});

test('the check catches a request timeout below the publish deadline, and a late-bytes bound past the memory share', () => {
  const short = structuredClone(tf);
  first(short.resources.google_cloud_run_v2_service!.ingress!.template).timeout = '5s';
  assert.match(drift(short).join('\n'), /HOOKPIPE_PUBLISH_TIMEOUT_MS 5000 ms is not below the service's request timeout 5000 ms/);

  const smaller = structuredClone(tf);
  const container = first(first(smaller.resources.google_cloud_run_v2_service!.ingress!.template).containers);
  (first(container.resources).limits as Record<string, string>).memory = '256Mi';
  assert.match(drift(smaller).join('\n'), /late publishes may hold 33554432 bytes/, 'HOOKPIPE_MEMORY_LIMIT no longer says the memory');
});

test("at Terraform's concurrency, and at eight times it, a healthy Pub/Sub sees no refusal", async () => {
  const { config, concurrency } = deployed(tf);
  assert.equal(concurrency, 250);
  for (const inFlight of [concurrency, 8 * concurrency]) {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    let turn = 0;
    // Confirmations in 5 to 150 ms: a busy Pub/Sub, but a healthy one.
    const topic: TopicPort = {
      publishMessage: () =>
        new Promise((resolve) => {
          turn += 13;
          setTimeout(() => resolve('m'), 5 + (turn % 146));
        }),
      resumePublishing: () => {},
      flush: async () => {},
    };
    const publisher = createBoundedPublisher(topic, { ...config.shedding, timeoutMs: config.HOOKPIPE_PUBLISH_TIMEOUT_MS });
    const refusals: string[] = [];
    let answered = 0;
    // Every answered request is followed by the next on its connection: `inFlight` always under way.
    const launch = (): void =>
      void publisher.publish({ data: Buffer.alloc(1024), attributes: {} }).then(
        () => {
          answered += 1;
          launch();
        },
        (error: Error) => void refusals.push(error.message),
      );
    for (let i = 0; i < inFlight; i += 1) launch();
    for (let ms = 0; ms < 1000; ms += 10) {
      mock.timers.tick(10);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(answered > inFlight * 5, `${answered} answered at ${inFlight} in flight`);
    assert.equal(refusals.length, 0, `at ${inFlight} in flight: ${refusals[0]}`);
    mock.timers.reset();
  }
});
