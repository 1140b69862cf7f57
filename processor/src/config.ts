// The processor's configuration, read from the environment and validated once at start-up, and the timing rules
// that keep the handler deadline, the ledger lease and the shutdown inside what Pub/Sub and Cloud Run allow. The
// push subscription's own ack deadline and delivery attempts replace the environment's when main.ts can read them;
// the combination is then checked again by the same rules, so a drifted deployment fails naming the variable.
import { z } from 'zod';
import { readConfig } from '../../shared/src/config.ts';
import { PORTS, PROJECT_SETTINGS, pickSettings, projectIdOf } from '../../shared/src/settings.ts';
import { CLOUD_RUN_KILL_AFTER_MS } from '../../shared/src/shutdown.ts';

/** What the processor takes from its push subscription, when it can read it. */
export interface SubscriptionSettings {
  name: string;
  ackDeadlineSeconds: number;
  /** Undefined without a dead-letter policy: Pub/Sub then retries without end, and the ledger counts attempts. */
  maxDeliveryAttempts: number | undefined;
}

/** The fields of Pub/Sub's Subscription resource read here, as the client returns them (unset: null or 0). */
export interface SubscriptionMetadata {
  ackDeadlineSeconds?: number | null;
  deadLetterPolicy?: { deadLetterTopic?: string | null; maxDeliveryAttempts?: number | null } | null;
}

/**
 * Pub/Sub's defaults stand for zero: an ack deadline of 0 is 10 s, maxDeliveryAttempts 0 is 5
 * (https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions, fields ackDeadlineSeconds and
 * DeadLetterPolicy.maxDeliveryAttempts).
 */
export function subscriptionSettings(name: string, metadata: SubscriptionMetadata): SubscriptionSettings {
  const policy = metadata.deadLetterPolicy;
  return {
    name,
    ackDeadlineSeconds: metadata.ackDeadlineSeconds || 10,
    maxDeliveryAttempts: policy?.deadLetterTopic ? policy.maxDeliveryAttempts || 5 : undefined,
  };
}

/** The deadlines delivery runs by, once defaults are derived and the subscription's values put in. */
export interface DeliveryTiming {
  ackDeadlineSeconds: number;
  maxDeliveryAttempts: number;
  handlerTimeoutMs: number;
  leaseMs: number;
  shutdownTimeoutMs: number;
  /** Where the ack deadline and the attempts come from. */
  source: 'subscription' | 'environment';
}

/** By default the handler stops 10 s before the ack deadline (a fifth of it when shorter), left to settle and answer. */
export function defaultHandlerTimeoutMs(ackDeadlineSeconds: number): number {
  return ackDeadlineSeconds * 1000 - Math.min(10_000, ackDeadlineSeconds * 200);
}

/**
 * By default a claim outlives the handler's deadline by as much again, 2 to 15 s: a live handler never loses it to a
 * redelivery, and one left by a killed instance (or by a handler that ignored its deadline) is taken back soon.
 */
export function defaultLeaseMs(handlerTimeoutMs: number): number {
  return handlerTimeoutMs + Math.min(15_000, Math.max(2_000, handlerTimeoutMs));
}

/** The variables the processor reads, as shared/src/settings.ts declares them. */
const fields = z.object({
  PORT: PORTS.processor,
  ...pickSettings(
    ...PROJECT_SETTINGS,
    'HOOKPIPE_HANDLERS',
    'HOOKPIPE_DEAD_LETTER_TOPIC',
    'HOOKPIPE_PUSH_SUBSCRIPTION',
    'HOOKPIPE_MAX_DELIVERY_ATTEMPTS',
    'HOOKPIPE_ACK_DEADLINE_SECONDS',
    'HOOKPIPE_HANDLER_TIMEOUT_MS',
    'HOOKPIPE_LEASE_MS',
    'HOOKPIPE_MAX_CONCURRENT_DELIVERIES',
    'HOOKPIPE_UNHANDLED',
    'HOOKPIPE_LEDGER_COLLECTION',
    'HOOKPIPE_LEDGER_RETENTION_DAYS',
    'HOOKPIPE_PUSH_AUTH',
    'HOOKPIPE_PUSH_AUDIENCE',
    'HOOKPIPE_PUSH_SERVICE_ACCOUNT',
    'HOOKPIPE_SHUTDOWN_TIMEOUT_MS',
    'HOOKPIPE_ADMIN',
    'K_SERVICE',
    'LOG_LEVEL',
  ),
});

type Fields = z.output<typeof fields>;

export function deliveryTiming(config: Fields, subscription?: SubscriptionSettings): DeliveryTiming {
  const ackDeadlineSeconds = subscription?.ackDeadlineSeconds ?? config.HOOKPIPE_ACK_DEADLINE_SECONDS;
  const handlerTimeoutMs = config.HOOKPIPE_HANDLER_TIMEOUT_MS ?? defaultHandlerTimeoutMs(ackDeadlineSeconds);
  return {
    ackDeadlineSeconds,
    maxDeliveryAttempts: subscription?.maxDeliveryAttempts ?? config.HOOKPIPE_MAX_DELIVERY_ATTEMPTS,
    handlerTimeoutMs,
    leaseMs: config.HOOKPIPE_LEASE_MS ?? defaultLeaseMs(handlerTimeoutMs),
    shutdownTimeoutMs: config.HOOKPIPE_SHUTDOWN_TIMEOUT_MS,
    source: subscription ? 'subscription' : 'environment',
  };
}

/** The timing rules, each problem keyed by the variable to change. */
export interface TimingIssue {
  variable: keyof Fields;
  message: string;
}

export function timingIssues(timing: DeliveryTiming, subscription?: SubscriptionSettings): TimingIssue[] {
  const issues: TimingIssue[] = [];
  if (timing.shutdownTimeoutMs >= CLOUD_RUN_KILL_AFTER_MS) {
    issues.push({
      variable: 'HOOKPIPE_SHUTDOWN_TIMEOUT_MS',
      message: `must be below ${CLOUD_RUN_KILL_AFTER_MS} ms: Cloud Run sends SIGKILL ${CLOUD_RUN_KILL_AFTER_MS / 1000} s after SIGTERM`,
    });
  }
  // The push request lives as long as the ack deadline: Pub/Sub uses it as the push request's timeout
  // (https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions), and infra/run.tf sets Cloud
  // Run's request timeout to it. Past that Cloud Run answers 504 but does not stop the handler
  // (https://cloud.google.com/run/docs/configuring/request-timeout), so the handler's own deadline must come first.
  if (timing.handlerTimeoutMs >= timing.ackDeadlineSeconds * 1000) {
    const from = subscription ? `from the subscription ${subscription.name}` : 'from HOOKPIPE_ACK_DEADLINE_SECONDS';
    issues.push({
      variable: 'HOOKPIPE_HANDLER_TIMEOUT_MS',
      message:
        `must stay below the ack deadline (${timing.ackDeadlineSeconds} s, ${from}): the push request ends there, ` +
        'and Pub/Sub redelivers while the handler still runs',
    });
  }
  if (timing.leaseMs <= timing.handlerTimeoutMs) {
    issues.push({
      variable: 'HOOKPIPE_LEASE_MS',
      message: `must be longer than the handler deadline (${timing.handlerTimeoutMs} ms), or a redelivery runs beside a live handler`,
    });
  }
  return issues;
}

function schemaWith(subscription: SubscriptionSettings | undefined) {
  return fields.superRefine((config, ctx) => {
    for (const issue of timingIssues(deliveryTiming(config, subscription), subscription)) {
      ctx.addIssue({ code: 'custom', path: [issue.variable], message: issue.message });
    }
    if (config.HOOKPIPE_PUSH_AUTH !== 'none') {
      for (const key of ['HOOKPIPE_PUSH_AUDIENCE', 'HOOKPIPE_PUSH_SERVICE_ACCOUNT'] as const) {
        if (config[key]) continue;
        const message = `required with HOOKPIPE_PUSH_AUTH=${config.HOOKPIPE_PUSH_AUTH} (set HOOKPIPE_PUSH_AUTH=none only for the emulator)`;
        ctx.addIssue({ code: 'custom', path: [key], message });
      }
    }
    // Off Cloud Run nothing has verified a token's signature: trusting a redacted one there would accept forgeries.
    if (config.HOOKPIPE_PUSH_AUTH === 'cloud-run' && !config.K_SERVICE) {
      const message = "cloud-run trusts the signature check of Cloud Run's IAM, and K_SERVICE is unset (not on Cloud Run): use oidc";
      ctx.addIssue({ code: 'custom', path: ['HOOKPIPE_PUSH_AUTH'], message });
    }
  });
}

export type ProcessorConfig = Fields & {
  projectId: string | undefined;
  timing: DeliveryTiming;
  /** Variables set in the environment that the subscription contradicts (its value is used). */
  drift: Array<{ variable: string; environment: number; subscription: number }>;
};

/**
 * The configuration from the environment alone, or, given what the push subscription says, with its ack deadline
 * and delivery attempts in place of the environment's. Throws ConfigError naming each bad variable.
 */
export function readProcessorConfig(env: NodeJS.ProcessEnv = process.env, subscription?: SubscriptionSettings): ProcessorConfig {
  const config = readConfig(schemaWith(subscription), env);
  const drift: ProcessorConfig['drift'] = [];
  const compare = (variable: 'HOOKPIPE_ACK_DEADLINE_SECONDS' | 'HOOKPIPE_MAX_DELIVERY_ATTEMPTS', fromSubscription: number | undefined) => {
    if (env[variable] && fromSubscription !== undefined && config[variable] !== fromSubscription) {
      drift.push({ variable, environment: config[variable], subscription: fromSubscription });
    }
  };
  compare('HOOKPIPE_ACK_DEADLINE_SECONDS', subscription?.ackDeadlineSeconds);
  compare('HOOKPIPE_MAX_DELIVERY_ATTEMPTS', subscription?.maxDeliveryAttempts);
  return { ...config, projectId: projectIdOf(config), timing: deliveryTiming(config, subscription), drift };
}
