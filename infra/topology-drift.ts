// The check that keeps infra/*.tf and shared/src/topology.ts in agreement: every name, attempt count, backoff,
// retention, the grants dead-lettering depends on, and the one push audience that Pub/Sub, Cloud Run and the
// processor must all agree on. It returns the differences, so a test can show it finds drift as well as agreement.
import type { Topology } from '../shared/src/topology.ts';
import { containerEnv, first, resource, type Terraform } from '../test/support/terraform.ts';

export function topologyDrift(tf: Terraform, topology: Topology, ledgerCollection: string): string[] {
  const problems: string[] = [];
  const expect = (what: string, actual: unknown, expected: unknown) => {
    if (JSON.stringify(actual) !== JSON.stringify(expected))
      problems.push(`${what}: Terraform has ${JSON.stringify(actual)}, the topology ${JSON.stringify(expected)}`);
  };
  const get = (type: string, name: string) => {
    try {
      return resource(tf, type, name);
    } catch (error) {
      problems.push((error as Error).message);
      return {};
    }
  };
  const seconds = (n: number) => `${n}s`;

  expect('events topic name', get('google_pubsub_topic', 'events').name, topology.topic);
  const dlqTopic = get('google_pubsub_topic', 'dead_letter');
  expect('dead-letter topic name', dlqTopic.name, topology.deadLetterTopic);
  expect('dead-letter topic retention', dlqTopic.message_retention_duration, seconds(topology.deadLetterTopicRetentionSeconds));

  const dlqSub = get('google_pubsub_subscription', 'dead_letter');
  expect('dead-letter subscription name', dlqSub.name, topology.deadLetterSubscription);
  expect('dead-letter subscription topic', dlqSub.topic, '${google_pubsub_topic.dead_letter.id}');
  expect('dead-letter subscription retention', dlqSub.message_retention_duration, seconds(topology.deadLetterRetentionSeconds));

  const push = get('google_pubsub_subscription', 'push');
  expect('push subscription name', push.name, topology.pushSubscription);
  expect('push subscription topic', push.topic, '${google_pubsub_topic.events.id}');
  expect('ack deadline', push.ack_deadline_seconds, topology.ackDeadlineSeconds);
  expect('retain acked messages (seek replay)', push.retain_acked_messages, true);
  expect('push subscription retention', push.message_retention_duration, seconds(topology.retentionSeconds));
  expect('message ordering', push.enable_message_ordering, topology.messageOrdering);
  const retry = first(push.retry_policy ?? {});
  expect('minimum backoff', retry.minimum_backoff, seconds(topology.minimumBackoffSeconds));
  expect('maximum backoff', retry.maximum_backoff, seconds(topology.maximumBackoffSeconds));
  const deadLetterPolicy = first(push.dead_letter_policy ?? {});
  expect('max delivery attempts', deadLetterPolicy.max_delivery_attempts, topology.maxDeliveryAttempts);
  expect('dead-letter policy topic', deadLetterPolicy.dead_letter_topic, '${google_pubsub_topic.dead_letter.id}');
  const oidc = first(first(push.push_config ?? {}).oidc_token ?? {});
  expect('push authenticated as the push identity', oidc.service_account_email, '${google_service_account.push.email}');
  problems.push(...pushAudienceDrift(oidc.audience, get('google_cloud_run_v2_service', 'processor')));

  // Without these two grants dead-lettering fails silently.
  const agent = tf.locals.pubsub_service_agent;
  if (
    typeof agent !== 'string' ||
    !/^serviceAccount:service-\$\{data\.google_project\.this\.number\}@gcp-sa-pubsub\.iam\.gserviceaccount\.com$/.test(agent)
  ) {
    problems.push(`pubsub_service_agent is not the Pub/Sub service agent: ${JSON.stringify(agent)}`);
  }
  const publishes = Object.values(tf.resources.google_pubsub_topic_iam_member ?? {}).some(
    (grant) =>
      grant.topic === '${google_pubsub_topic.dead_letter.name}' &&
      grant.role === 'roles/pubsub.publisher' &&
      grant.member === '${local.pubsub_service_agent}',
  );
  if (!publishes) problems.push('the Pub/Sub service agent is not granted roles/pubsub.publisher on the dead-letter topic');
  const subscribes = Object.values(tf.resources.google_pubsub_subscription_iam_member ?? {}).some(
    (grant) =>
      grant.subscription === '${google_pubsub_subscription.push[0].name}' &&
      grant.role === 'roles/pubsub.subscriber' &&
      grant.member === '${local.pubsub_service_agent}',
  );
  if (!subscribes) problems.push('the Pub/Sub service agent is not granted roles/pubsub.subscriber on the push subscription');

  const ttl = get('google_firestore_field', 'ledger_ttl');
  expect('ledger TTL collection', ttl.collection, ledgerCollection);
  expect('ledger TTL field', ttl.field, 'expireAt');
  return problems;
}

/**
 * Three places hold the push audience and must agree: the subscription's OIDC tokens carry it; Cloud Run's IAM
 * check admits it only if the processor service declares it in `custom_audiences` (besides the run.app URL, which
 * the processor's own configuration cannot name; https://cloud.google.com/run/docs/configuring/custom-audiences);
 * the processor compares it with HOOKPIPE_PUSH_AUDIENCE. Any mismatch refuses every push, before or in the
 * container, and every event ends in the dead-letter topic.
 */
function pushAudienceDrift(audience: unknown, processor: Record<string, unknown>): string[] {
  const sent = JSON.stringify(audience);
  if (typeof audience !== 'string' || audience === '' || audience.includes('${')) {
    return [`the push subscription's OIDC audience is not one fixed value: ${sent}`];
  }
  const problems: string[] = [];
  const declared = processor.custom_audiences;
  if (!Array.isArray(declared) || !declared.includes(audience)) {
    problems.push(
      `the processor's custom_audiences ${JSON.stringify(declared)} lack the push audience ${sent}: Cloud Run refuses every push`,
    );
  }
  const checked = containerEnv(first(first(processor.template ?? {}).containers ?? {}) ?? {}).HOOKPIPE_PUSH_AUDIENCE;
  if (checked !== audience) problems.push(`the processor checks HOOKPIPE_PUSH_AUDIENCE ${JSON.stringify(checked)}, pushes carry ${sent}`);
  return problems;
}
