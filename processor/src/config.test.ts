// The processor's configuration rules: timings consistent with Pub/Sub and Cloud Run, the subscription's values first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../shared/src/errors.ts';
import { readProcessorConfig, type SubscriptionSettings, subscriptionSettings } from './config.ts';

const env = { HOOKPIPE_PUSH_AUTH: 'none' };
const subscription = (fields: Partial<SubscriptionSettings> = {}): SubscriptionSettings => ({
  name: 'webhook-events-processor',
  ackDeadlineSeconds: 60,
  maxDeliveryAttempts: 7,
  ...fields,
});

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail('the configuration was accepted');
}

test("timing defaults: handler 10 s inside the 60 s ack deadline, lease past it, shutdown inside Cloud Run's 10 s", () => {
  assert.deepEqual(readProcessorConfig(env).timing, {
    ackDeadlineSeconds: 60,
    maxDeliveryAttempts: 10,
    handlerTimeoutMs: 50_000,
    leaseMs: 65_000,
    shutdownTimeoutMs: 9_000,
    source: 'environment',
  });
  assert.equal(readProcessorConfig(env).HOOKPIPE_PUSH_SUBSCRIPTION, 'webhook-events-processor');
});

test('inconsistent timings are refused, naming the variable', () => {
  assert.match(
    refusal(() => readProcessorConfig({ ...env, HOOKPIPE_SHUTDOWN_TIMEOUT_MS: '10000' })),
    /HOOKPIPE_SHUTDOWN_TIMEOUT_MS: must be below 10000 ms: Cloud Run sends SIGKILL/,
  );
  assert.equal(readProcessorConfig({ ...env, HOOKPIPE_SHUTDOWN_TIMEOUT_MS: '9999' }).timing.shutdownTimeoutMs, 9999);
  assert.match(
    refusal(() => readProcessorConfig({ ...env, HOOKPIPE_HANDLER_TIMEOUT_MS: '60000' })),
    /HOOKPIPE_HANDLER_TIMEOUT_MS: must stay below the ack deadline \(60 s, from HOOKPIPE_ACK_DEADLINE_SECONDS\)/,
  );
  assert.match(
    refusal(() => readProcessorConfig({ ...env, HOOKPIPE_HANDLER_TIMEOUT_MS: '5000', HOOKPIPE_LEASE_MS: '5000' })),
    /HOOKPIPE_LEASE_MS: must be longer than the handler deadline \(5000 ms\)/,
  );
  const timing = readProcessorConfig({ ...env, HOOKPIPE_HANDLER_TIMEOUT_MS: '5000', HOOKPIPE_LEASE_MS: '5001' }).timing;
  assert.deepEqual([timing.handlerTimeoutMs, timing.leaseMs], [5000, 5001]);
});

test("the subscription's ack deadline and attempts replace the environment's; defaults follow them; drift is reported", () => {
  const config = readProcessorConfig({ ...env, HOOKPIPE_MAX_DELIVERY_ATTEMPTS: '10' }, subscription({ ackDeadlineSeconds: 10 }));
  assert.deepEqual(config.timing, {
    ackDeadlineSeconds: 10,
    maxDeliveryAttempts: 7,
    handlerTimeoutMs: 8_000,
    leaseMs: 16_000,
    shutdownTimeoutMs: 9_000,
    source: 'subscription',
  });
  assert.deepEqual(config.drift, [{ variable: 'HOOKPIPE_MAX_DELIVERY_ATTEMPTS', environment: 10, subscription: 7 }]);
  assert.deepEqual(readProcessorConfig(env, subscription({ ackDeadlineSeconds: 10 })).drift, [], 'defaults are not drift');
  assert.equal(readProcessorConfig(env, subscription({ maxDeliveryAttempts: undefined })).timing.maxDeliveryAttempts, 10);
});

test("a handler deadline the subscription's ack deadline cannot hold is refused, saying where the ack deadline came from", () => {
  const set = { ...env, HOOKPIPE_HANDLER_TIMEOUT_MS: '50000' };
  assert.equal(readProcessorConfig(set).timing.handlerTimeoutMs, 50_000);
  assert.match(
    refusal(() => readProcessorConfig(set, subscription({ ackDeadlineSeconds: 20 }))),
    /HOOKPIPE_HANDLER_TIMEOUT_MS: must stay below the ack deadline \(20 s, from the subscription webhook-events-processor\)/,
  );
});

test("subscription metadata: Pub/Sub's zero defaults, and no attempts without a dead-letter policy", () => {
  assert.deepEqual(subscriptionSettings('s', { ackDeadlineSeconds: 0, deadLetterPolicy: null }), {
    name: 's',
    ackDeadlineSeconds: 10,
    maxDeliveryAttempts: undefined,
  });
  const policy = (maxDeliveryAttempts: number) => ({ deadLetterTopic: 'projects/p/topics/dlq', maxDeliveryAttempts });
  assert.equal(subscriptionSettings('s', { ackDeadlineSeconds: 30, deadLetterPolicy: policy(0) }).maxDeliveryAttempts, 5);
  assert.equal(subscriptionSettings('s', { ackDeadlineSeconds: 30, deadLetterPolicy: policy(7) }).maxDeliveryAttempts, 7);
  const noTopic = subscriptionSettings('s', { deadLetterPolicy: { deadLetterTopic: '', maxDeliveryAttempts: 0 } });
  assert.equal(noTopic.maxDeliveryAttempts, undefined);
});

test('push auth: cloud-run needs the audience and account, and is refused off Cloud Run, where nothing verified the signature', () => {
  const push = {
    HOOKPIPE_PUSH_AUDIENCE: 'https://hookpipe-processor/pubsub/push',
    HOOKPIPE_PUSH_SERVICE_ACCOUNT: 'push@p.iam.gserviceaccount.com',
  };
  assert.match(
    refusal(() => readProcessorConfig({ HOOKPIPE_PUSH_AUTH: 'cloud-run', K_SERVICE: 'hookpipe-processor' })),
    /HOOKPIPE_PUSH_AUDIENCE: required with HOOKPIPE_PUSH_AUTH=cloud-run/,
  );
  assert.match(
    refusal(() => readProcessorConfig({ HOOKPIPE_PUSH_AUTH: 'cloud-run', ...push })),
    /HOOKPIPE_PUSH_AUTH: cloud-run trusts the signature check of Cloud Run's IAM, and K_SERVICE is unset/,
  );
  assert.equal(
    readProcessorConfig({ HOOKPIPE_PUSH_AUTH: 'cloud-run', K_SERVICE: 'hookpipe-processor', ...push }).HOOKPIPE_PUSH_AUTH,
    'cloud-run',
  );
});
