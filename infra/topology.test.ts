// infra/*.tf against the code: the topology's names and numbers, the one push audience that Pub/Sub, Cloud Run
// and the processor must share, and least-privilege grants. Parsed, since terraform validate cannot run here.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { FORCE_WINDOWS_COLLECTION } from '../ops/src/force-windows.ts';
import { DEFAULT_LEDGER_COLLECTION } from '../shared/src/settings.ts';
import { TOPOLOGY } from '../shared/src/topology.ts';
import { type Block, containerEnv, first, readTerraform, resource, type Terraform } from '../test/support/terraform.ts';
import { topologyDrift } from './topology-drift.ts';

let tf: Terraform;
before(async () => {
  tf = await readTerraform('infra');
});

const clone = (): Terraform => structuredClone(tf);

test('infra/*.tf says what shared/src/topology.ts says: names, attempts, backoff, retention, grants, TTL', () => {
  assert.deepEqual(topologyDrift(tf, TOPOLOGY, DEFAULT_LEDGER_COLLECTION), []);
});

test('the check catches drift: an attempt count, a backoff, a name, a missing service-agent grant', () => {
  const attempts = clone();
  attempts.locals.max_delivery_attempts = 5;
  assert.match(
    topologyDrift(attempts, TOPOLOGY, DEFAULT_LEDGER_COLLECTION).join('\n'),
    /max delivery attempts: Terraform has 5, the topology 10/,
  );

  const backoff = clone();
  (first(backoff.resources.google_pubsub_subscription!.push!.retry_policy) as Record<string, unknown>).maximum_backoff = '300s';
  assert.match(topologyDrift(backoff, TOPOLOGY, DEFAULT_LEDGER_COLLECTION).join('\n'), /maximum backoff/);

  const renamed = clone();
  renamed.locals.dead_letter_topic = 'webhooks-dlq';
  assert.match(topologyDrift(renamed, TOPOLOGY, DEFAULT_LEDGER_COLLECTION).join('\n'), /dead-letter topic name/);

  const ungranted = clone();
  delete ungranted.resources.google_pubsub_topic_iam_member!.service_agent_publishes_dead_letters;
  assert.match(
    topologyDrift(ungranted, TOPOLOGY, DEFAULT_LEDGER_COLLECTION).join('\n'),
    /not granted roles\/pubsub.publisher on the dead-letter topic/,
  );

  const unsubscribed = clone();
  delete unsubscribed.resources.google_pubsub_subscription_iam_member!.service_agent_subscribes_push;
  assert.match(
    topologyDrift(unsubscribed, TOPOLOGY, DEFAULT_LEDGER_COLLECTION).join('\n'),
    /not granted roles\/pubsub.subscriber on the push subscription/,
  );
});

test('one push audience: the subscription sends it, the processor service admits it (custom_audiences), the processor checks it', () => {
  const push = resource(tf, 'google_pubsub_subscription', 'push');
  const audience = first(first(push.push_config).oidc_token).audience;
  const processor = resource(tf, 'google_cloud_run_v2_service', 'processor');
  assert.equal(audience, 'https://hookpipe-processor/pubsub/push');
  assert.deepEqual(processor.custom_audiences, [audience]);
  assert.equal(containerEnv(first(first(processor.template).containers)).HOOKPIPE_PUSH_AUDIENCE, audience);
});

test('the check catches a push audience that Cloud Run or the processor would refuse', () => {
  const drift = (change: (copy: Terraform) => void) => {
    const copy = clone();
    change(copy);
    return topologyDrift(copy, TOPOLOGY, DEFAULT_LEDGER_COLLECTION).join('\n');
  };
  const processor = (copy: Terraform) => copy.resources.google_cloud_run_v2_service!.processor!;
  const oidc = (copy: Terraform) => first(first(copy.resources.google_pubsub_subscription!.push!.push_config).oidc_token);
  const env = (copy: Terraform) =>
    (first(first(first(first(processor(copy).template).containers).dynamic).env) as { for_each: Block }).for_each;
  const audience = 'https://hookpipe-processor/pubsub/push';

  assert.match(
    drift((copy) => delete processor(copy).custom_audiences),
    /custom_audiences undefined lack the push audience "https:\/\/hookpipe-processor\/pubsub\/push": Cloud Run refuses every push/,
  );
  assert.match(
    drift((copy) => (processor(copy).custom_audiences = ['https://elsewhere'])),
    /custom_audiences \["https:\/\/elsewhere"\] lack the push audience/,
  );
  const moved = drift((copy) => (oidc(copy).audience = 'https://hookpipe-processor/other'));
  assert.match(moved, /lack the push audience "https:\/\/hookpipe-processor\/other"/);
  assert.ok(moved.includes(`checks HOOKPIPE_PUSH_AUDIENCE "${audience}", pushes carry "https://hookpipe-processor/other"`));
  assert.match(
    drift((copy) => (oidc(copy).audience = '${google_cloud_run_v2_service.processor[0].uri}')),
    /OIDC audience is not one fixed value/,
  );
  const checked = drift((copy) => (env(copy).HOOKPIPE_PUSH_AUDIENCE = 'https://hookpipe-processor'));
  assert.ok(checked.includes(`checks HOOKPIPE_PUSH_AUDIENCE "https://hookpipe-processor", pushes carry "${audience}"`));
});

test('least privilege: the ingress only publishes to the events topic and reads its secrets; the push identity only invokes the processor', () => {
  const grantsOf = (member: string) =>
    Object.entries(tf.resources)
      .filter(([type]) => type.endsWith('_iam_member'))
      .flatMap(([type, byName]) =>
        Object.values(byName)
          .filter((grant) => grant.member === member)
          .map((grant) => `${type} ${grant.role} ${grant.topic ?? grant.subscription ?? grant.secret_id ?? grant.name ?? grant.project}`),
      );
  assert.deepEqual(grantsOf('${google_service_account.ingress.member}').sort(), [
    'google_pubsub_topic_iam_member roles/pubsub.publisher ${google_pubsub_topic.events.name}',
    'google_pubsub_topic_iam_member roles/pubsub.viewer ${google_pubsub_topic.events.name}',
    'google_secret_manager_secret_iam_member roles/secretmanager.secretAccessor ${google_secret_manager_secret.source[each.key].id}',
  ]);
  assert.deepEqual(grantsOf('${google_service_account.push.member}'), [
    'google_cloud_run_v2_service_iam_member roles/run.invoker ${google_cloud_run_v2_service.processor[0].name}',
  ]);
  const processor = grantsOf('${google_service_account.processor.member}');
  assert.ok(processor.includes('google_pubsub_topic_iam_member roles/pubsub.publisher ${google_pubsub_topic.dead_letter.name}'));
  assert.ok(processor.includes('google_project_iam_member roles/datastore.user ${var.project_id}'));
  // main.ts reads the subscription's deadline and attempts at start-up (subscriptions.get is in viewer, not subscriber).
  assert.ok(processor.includes('google_pubsub_subscription_iam_member roles/pubsub.viewer ${google_pubsub_subscription.push[0].name}'));
  assert.ok(!processor.some((grant) => /roles\/(owner|editor|pubsub\.admin)/.test(grant)));
});

test('the processor is private and configured as the topology says; the ingress is public with CPU boost and warm instances', () => {
  const invokers = Object.values(tf.resources.google_cloud_run_v2_service_iam_member!);
  assert.deepEqual(
    invokers.filter((grant) => grant.member === 'allUsers').map((grant) => grant.name),
    ['${google_cloud_run_v2_service.ingress[0].name}'],
  );

  const processor = resource(tf, 'google_cloud_run_v2_service', 'processor');
  const settings = containerEnv(first(first(processor.template).containers));
  // The processor is private, so Cloud Run's IAM verifies each push token and hands it on with its signature removed
  // (processor/src/push-auth.ts): the container checks the claims, which is safe only while no allUsers invoker exists.
  assert.equal(settings.HOOKPIPE_PUSH_AUTH, 'cloud-run');
  assert.equal(settings.HOOKPIPE_DEAD_LETTER_TOPIC, TOPOLOGY.deadLetterTopic);
  assert.equal(settings.HOOKPIPE_PUSH_SUBSCRIPTION, TOPOLOGY.pushSubscription);
  assert.equal(settings.HOOKPIPE_MAX_DELIVERY_ATTEMPTS, '${tostring(local.max_delivery_attempts)}');
  assert.equal(first(processor.template).timeout, `${TOPOLOGY.ackDeadlineSeconds}s`);

  const ingress = resource(tf, 'google_cloud_run_v2_service', 'ingress');
  const container = first(first(ingress.template).containers);
  assert.equal(first(container.resources).startup_cpu_boost, true);
  assert.equal(first(first(ingress.template).scaling).min_instance_count, '${var.ingress_min_instances}');
  assert.equal(tf.variables.ingress_min_instances!.default, 1);
});

test('force windows delete themselves: the TTL policy is on the collection the processors read', () => {
  assert.equal(tf.locals.force_windows_collection, FORCE_WINDOWS_COLLECTION);
  const ttl = resource(tf, 'google_firestore_field', 'force_windows_ttl');
  assert.deepEqual([ttl.collection, ttl.field], [FORCE_WINDOWS_COLLECTION, 'expireAt']);
});
