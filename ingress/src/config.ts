// The ingress's configuration: the variables it reads, as shared/src/settings.ts declares them, read and validated
// once at start-up, and the body budget and the shedding limits derived from them.
import { z } from 'zod';
import { readConfig } from '../../shared/src/config.ts';
import { PORTS, PROJECT_SETTINGS, pickSettings, projectIdOf } from '../../shared/src/settings.ts';
import { type BodyBudgetLimits, bodyBudgetLimits, detectMemoryBytes } from './body-budget.ts';
import { type SheddingLimits, sheddingLimits } from './shedding.ts';

const schema = z.object({
  PORT: PORTS.ingress,
  ...pickSettings(
    ...PROJECT_SETTINGS,
    'HOOKPIPE_SOURCES',
    'HOOKPIPE_TOPIC',
    'HOOKPIPE_PUBLISH_TIMEOUT_MS',
    'HOOKPIPE_PUBLISH_SLOW_MS',
    'HOOKPIPE_MAX_LATE_PUBLISH_BYTES',
    'HOOKPIPE_BATCH_MAX_MESSAGES',
    'HOOKPIPE_BATCH_MAX_BYTES',
    'HOOKPIPE_PUBLIC_URL',
    'HOOKPIPE_TRUST_PROXY',
    'PUBSUB_EMULATOR_HOST',
    'HOOKPIPE_HEADERS_TIMEOUT_MS',
    'HOOKPIPE_REQUEST_TIMEOUT_MS',
    'HOOKPIPE_SHUTDOWN_TIMEOUT_MS',
    'HOOKPIPE_MEMORY_LIMIT',
    'HOOKPIPE_CONCURRENCY',
    'HOOKPIPE_SMALL_BODY_BYTES',
    'HOOKPIPE_BODY_BUDGET_BYTES',
    'LOG_LEVEL',
  ),
});

export type IngressConfig = z.output<typeof schema> & {
  projectId: string | undefined;
  bodyBudget: BodyBudgetLimits;
  shedding: SheddingLimits;
};

export function readIngressConfig(env: NodeJS.ProcessEnv = process.env): IngressConfig {
  const config = readConfig(schema, env);
  const memoryBytes = config.HOOKPIPE_MEMORY_LIMIT ?? detectMemoryBytes();
  const bodyBudget = bodyBudgetLimits({
    memoryBytes,
    concurrency: config.HOOKPIPE_CONCURRENCY,
    smallBodyBytes: config.HOOKPIPE_SMALL_BODY_BYTES,
    totalBytes: config.HOOKPIPE_BODY_BUDGET_BYTES,
  });
  const shedding = sheddingLimits({
    memoryBytes,
    publishTimeoutMs: config.HOOKPIPE_PUBLISH_TIMEOUT_MS,
    slowMs: config.HOOKPIPE_PUBLISH_SLOW_MS,
    maxLateBytes: config.HOOKPIPE_MAX_LATE_PUBLISH_BYTES,
  });
  return { ...config, projectId: projectIdOf(config), bodyBudget, shedding };
}
