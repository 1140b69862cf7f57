import { z } from 'zod';
import { envBool, envInt, envString, logLevel, projectIdFrom, readConfig } from '../../shared/src/config.ts';
import { MAX_BODY_BYTES } from '../../shared/src/sources.ts';
import { TOPOLOGY } from '../../shared/src/topology.ts';
import { bodyBudgetLimits, detectMemoryBytes, parseMemoryQuantity, type BodyBudgetLimits } from './body-budget.ts';

const schema = z.object({
  PORT: envInt(8080, { min: 0, max: 65535 }),
  HOOKPIPE_SOURCES: envString().describe('path of the sources file (YAML or JSON)'),
  HOOKPIPE_TOPIC: envString().default(TOPOLOGY.topic),
  HOOKPIPE_PUBLISH_TIMEOUT_MS: envInt(5000, { min: 100, max: 60_000 }),
  HOOKPIPE_MAX_OUTSTANDING_MESSAGES: envInt(200, { min: 1 }),
  HOOKPIPE_MAX_OUTSTANDING_BYTES: envInt(32 * 1024 * 1024, { min: 1024 }),
  HOOKPIPE_BATCH_MAX_MESSAGES: envInt(100, { min: 1, max: 1000 }),
  HOOKPIPE_BATCH_MAX_MS: envInt(5, { min: 0, max: 1000 }),
  HOOKPIPE_BATCH_MAX_BYTES: envInt(1024 * 1024, { min: 1024, max: 9 * 1024 * 1024 }),
  // Sources signed over their URL (Twilio, `{url}`) need it outside the emulator: see UrlPolicy in ingest.ts.
  HOOKPIPE_PUBLIC_URL: z.url().optional(),
  // The scheme from X-Forwarded-Proto, which Cloud Run's front end sets; X-Forwarded-Host is never trusted.
  HOOKPIPE_TRUST_PROXY: envBool(true),
  // Read here only to tell a developer's machine from production for the public URL rule; the client reads it itself.
  PUBSUB_EMULATOR_HOST: envString().optional(),
  HOOKPIPE_HEADERS_TIMEOUT_MS: envInt(10_000, { min: 1000 }),
  HOOKPIPE_REQUEST_TIMEOUT_MS: envInt(30_000, { min: 1000 }),
  HOOKPIPE_SHUTDOWN_TIMEOUT_MS: envInt(9_000, { min: 100, max: 60_000 }),
  // The body budget (body-budget.ts). On Cloud Run, Terraform sets the first two from the values it gives the service.
  HOOKPIPE_MEMORY_LIMIT: z
    .string()
    .refine((value) => parseMemoryQuantity(value) !== undefined, 'a memory size such as "1Gi", "512Mi" or bytes')
    .transform((value) => parseMemoryQuantity(value)!)
    .optional(),
  HOOKPIPE_CONCURRENCY: envInt(80, { min: 1, max: 1000 }),
  HOOKPIPE_SMALL_BODY_BYTES: envInt(256 * 1024, { min: 1024, max: MAX_BODY_BYTES }),
  HOOKPIPE_BODY_BUDGET_BYTES: z.coerce.number().int().min(1024 * 1024).optional(),
  LOG_LEVEL: logLevel,
});

export type IngressConfig = z.output<typeof schema> & { projectId: string | undefined; bodyBudget: BodyBudgetLimits };

export function readIngressConfig(env: NodeJS.ProcessEnv = process.env): IngressConfig {
  const config = readConfig(schema, env);
  const bodyBudget = bodyBudgetLimits({
    memoryBytes: config.HOOKPIPE_MEMORY_LIMIT ?? detectMemoryBytes(),
    concurrency: config.HOOKPIPE_CONCURRENCY,
    smallBodyBytes: config.HOOKPIPE_SMALL_BODY_BYTES,
    totalBytes: config.HOOKPIPE_BODY_BUDGET_BYTES,
  });
  return { ...config, projectId: projectIdFrom(env), bodyBudget };
}
