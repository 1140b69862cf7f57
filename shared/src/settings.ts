// Every environment variable hookpipe reads, declared once: its name (the key), its default and its validation.
// Each reader's schema picks the ones it reads (`pickSettings`): the ingress (ingress/src/config.ts), the processor
// (processor/src/config.ts), the operations (ops/src/context.ts) and the CLI (cli/src/main.ts), so that a variable
// read by two of them cannot mean two things. README's configuration tables list the same variables
// (settings.test.ts holds them together). A handlers module's own variables are its own (processor/src/examples).
import { z } from 'zod';
import { configError, envBool, envInt, envString, logLevel } from './config.ts';
import { MAX_BODY_BYTES } from './sources.ts';
import { TOPOLOGY } from './topology.ts';

/** The ledger's Firestore collection unless HOOKPIPE_LEDGER_COLLECTION says otherwise (infra/firestore.tf's TTL policy). */
export const DEFAULT_LEDGER_COLLECTION = 'hookpipe-deliveries';
/** The handlers the processor runs unless HOOKPIPE_HANDLERS names others. */
export const DEFAULT_HANDLERS = 'processor/src/examples/handlers.ts';
/** The sample sources file, for `npm start` and the CLI next to it. */
export const LOCAL_SOURCES = 'config/sources.local.yaml';

/** A Cloud Run memory limit as Terraform and gcloud write it ("1Gi", "512Mi"), or plain bytes. */
export function parseMemoryQuantity(value: string): number | undefined {
  const match = /^\s*(\d+)\s*(Ki|Mi|Gi|k|M|G)?\s*$/.exec(value);
  if (!match) return undefined;
  const unit = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 }[match[2] ?? '']!;
  return Number(match[1]) * unit;
}

const optionalInt = (bounds: { min: number; max?: number }) =>
  z.coerce
    .number()
    .int()
    .min(bounds.min)
    .max(bounds.max ?? Number.MAX_SAFE_INTEGER)
    .optional();

const PORT_RANGE = { min: 0, max: 65535 };

/**
 * PORT: Cloud Run sets it; locally the ingress listens on 8080 and the processor on 8081, so that both run side by
 * side. The one variable with a default per service.
 */
export const PORTS = { ingress: envInt(8080, PORT_RANGE), processor: envInt(8081, PORT_RANGE) } as const;

export const SETTINGS = {
  // ---- Google Cloud, Cloud Run and the emulators
  /** The project; the client libraries also find it on Cloud Run. PUBSUB_PROJECT_ID and GCLOUD_PROJECT are older names. */
  GOOGLE_CLOUD_PROJECT: envString().optional(),
  PUBSUB_PROJECT_ID: envString().optional(),
  GCLOUD_PROJECT: envString().optional(),
  /** The clients read it themselves; hookpipe reads it to tell a developer's machine from production. */
  PUBSUB_EMULATOR_HOST: envString().optional(),
  /** Set by Cloud Run in every container (https://cloud.google.com/run/docs/container-contract). */
  K_SERVICE: envString().optional(),
  LOG_LEVEL: logLevel,
  /** Both services: spans to Cloud Trace (shared/src/tracing.ts); off, the OpenTelemetry SDK is not even loaded. */
  HOOKPIPE_TRACING: z.enum(['off', 'cloud-trace']).default('off'),

  // ---- Names shared by the services and the operations (shared/src/topology.ts has the topology's own)
  HOOKPIPE_TOPIC: envString().default(TOPOLOGY.topic),
  HOOKPIPE_DEAD_LETTER_TOPIC: envString().default(TOPOLOGY.deadLetterTopic),
  HOOKPIPE_DEAD_LETTER_SUBSCRIPTION: envString().default(TOPOLOGY.deadLetterSubscription),
  HOOKPIPE_PUSH_SUBSCRIPTION: envString().default(TOPOLOGY.pushSubscription),
  HOOKPIPE_LEDGER_COLLECTION: envString().default(DEFAULT_LEDGER_COLLECTION),
  /** Below Cloud Run's 10 s from SIGTERM to SIGKILL (the processor checks it: processor/src/config.ts). */
  HOOKPIPE_SHUTDOWN_TIMEOUT_MS: envInt(9_000, { min: 100, max: 60_000 }),

  // ---- The ingress
  HOOKPIPE_SOURCES: envString().describe('path of the sources file (YAML or JSON)'),
  HOOKPIPE_PUBLISH_TIMEOUT_MS: envInt(5000, { min: 100, max: 60_000 }),
  /** Shedding (ingress/src/shedding.ts). Default: a second, at most half the publish deadline. */
  HOOKPIPE_PUBLISH_SLOW_MS: optionalInt({ min: 10 }),
  /** Default: derived from HOOKPIPE_MEMORY_LIMIT (ingress/src/shedding.ts). */
  HOOKPIPE_MAX_LATE_PUBLISH_BYTES: optionalInt({ min: 1024 }),
  /** The most one Publish request carries (ingress/src/batching.ts); Pub/Sub takes 1,000 messages and 10 MB. */
  HOOKPIPE_BATCH_MAX_MESSAGES: envInt(1000, { min: 1, max: 1000 }),
  HOOKPIPE_BATCH_MAX_BYTES: envInt(4 * 1024 * 1024, { min: 1024, max: 9 * 1024 * 1024 }),
  /** Sources signed over their URL (Twilio, `{url}`) need it outside the emulator: see UrlPolicy in ingest.ts. */
  HOOKPIPE_PUBLIC_URL: z.url().optional(),
  /** The scheme from X-Forwarded-Proto, which Cloud Run's front end sets; X-Forwarded-Host is never trusted. */
  HOOKPIPE_TRUST_PROXY: envBool(true),
  HOOKPIPE_HEADERS_TIMEOUT_MS: envInt(10_000, { min: 1000 }),
  HOOKPIPE_REQUEST_TIMEOUT_MS: envInt(30_000, { min: 1000 }),
  /** The body budget (ingress/src/body-budget.ts); on Cloud Run, Terraform sets this and the next from the service's values. */
  HOOKPIPE_MEMORY_LIMIT: z
    .string()
    .refine((value) => parseMemoryQuantity(value) !== undefined, 'a memory size such as "1Gi", "512Mi" or bytes')
    .transform((value) => parseMemoryQuantity(value)!)
    .optional(),
  HOOKPIPE_CONCURRENCY: envInt(80, { min: 1, max: 1000 }),
  HOOKPIPE_SMALL_BODY_BYTES: envInt(256 * 1024, { min: 1024, max: MAX_BODY_BYTES }),
  HOOKPIPE_BODY_BUDGET_BYTES: optionalInt({ min: 1024 * 1024 }),

  // ---- The processor
  HOOKPIPE_HANDLERS: envString().default(DEFAULT_HANDLERS),
  // The next two are the push subscription's; used only when its metadata cannot be read (processor/src/main.ts).
  HOOKPIPE_MAX_DELIVERY_ATTEMPTS: envInt(TOPOLOGY.maxDeliveryAttempts, { min: 5, max: 100 }),
  HOOKPIPE_ACK_DEADLINE_SECONDS: envInt(TOPOLOGY.ackDeadlineSeconds, { min: 10, max: 600 }),
  /** Default: derived from the ack deadline (processor/src/config.ts). */
  HOOKPIPE_HANDLER_TIMEOUT_MS: optionalInt({ min: 100 }),
  /** Default: derived from the handler deadline (processor/src/config.ts). */
  HOOKPIPE_LEASE_MS: optionalInt({ min: 100 }),
  HOOKPIPE_MAX_CONCURRENT_DELIVERIES: envInt(32, { min: 1, max: 1000 }),
  HOOKPIPE_UNHANDLED: z.enum(['ignore', 'dead-letter']).default('ignore'),
  HOOKPIPE_LEDGER_RETENTION_DAYS: envInt(30, { min: 1, max: 3650 }),
  /** cloud-run: Cloud Run's IAM verified the token and removed its signature (push-auth.ts); oidc: verified here. */
  HOOKPIPE_PUSH_AUTH: z.enum(['cloud-run', 'oidc', 'none']).default('oidc'),
  HOOKPIPE_PUSH_AUDIENCE: z.string().min(1).optional(),
  HOOKPIPE_PUSH_SERVICE_ACCOUNT: z.email().optional(),
  HOOKPIPE_ADMIN: envBool(true),

  // ---- The operations (CLI and admin page)
  HOOKPIPE_MAX_REPLAYS: envInt(5, { min: 1, max: 1000 }),

  // ---- The CLI
  HOOKPIPE_INGRESS_URL: z.url().default('http://localhost:8080'),
} as const;

export type SettingName = keyof typeof SETTINGS;

/** The schema fields for `names`, as declared here: a reader's schema is `z.object({ ...pickSettings(...), ... })`. */
export function pickSettings<const K extends SettingName>(...names: K[]): Pick<typeof SETTINGS, K> {
  return Object.fromEntries(names.map((name) => [name, SETTINGS[name]])) as Pick<typeof SETTINGS, K>;
}

/** The variables that name the project, in the order the client libraries try them. */
export const PROJECT_SETTINGS = ['GOOGLE_CLOUD_PROJECT', 'PUBSUB_PROJECT_ID', 'GCLOUD_PROJECT'] as const;

type ProjectSettings = Partial<Record<(typeof PROJECT_SETTINGS)[number], string>>;

/** The project a configuration names, if any (on Cloud Run the client libraries can still find it without). */
export function projectIdOf(config: ProjectSettings): string | undefined {
  return config.GOOGLE_CLOUD_PROJECT ?? config.PUBSUB_PROJECT_ID ?? config.GCLOUD_PROJECT;
}

/** The project the client libraries found without being told (on Cloud Run, the metadata server's), or why none. */
export interface DetectedProject {
  projectId?: string | undefined;
  error?: string | undefined;
}

/** The project named or found; none is a ConfigError, as any other missing setting is, saying why none was found. */
export function requireProjectId(config: ProjectSettings, detected?: DetectedProject): string {
  const projectId = projectIdOf(config) ?? detected?.projectId;
  if (projectId) return projectId;
  const why = detected?.error ? `, and none was found (${detected.error})` : '';
  throw configError([`GOOGLE_CLOUD_PROJECT: set it to the project hookpipe runs in${why}`]);
}
