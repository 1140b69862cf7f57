import { z } from 'zod';
import { envBool, envInt, envString, logLevel, projectIdFrom, readConfig } from '../../shared/src/config.ts';
import { TOPOLOGY } from '../../shared/src/topology.ts';

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
  HOOKPIPE_PUBLIC_URL: z.url().optional(),
  HOOKPIPE_TRUST_PROXY: envBool(true),
  HOOKPIPE_HEADERS_TIMEOUT_MS: envInt(10_000, { min: 1000 }),
  HOOKPIPE_REQUEST_TIMEOUT_MS: envInt(30_000, { min: 1000 }),
  HOOKPIPE_SHUTDOWN_TIMEOUT_MS: envInt(9_000, { min: 100, max: 60_000 }),
  LOG_LEVEL: logLevel,
});

export type IngressConfig = z.output<typeof schema> & { projectId: string | undefined };

export function readIngressConfig(env: NodeJS.ProcessEnv = process.env): IngressConfig {
  const config = readConfig(schema, env);
  return { ...config, projectId: projectIdFrom(env) };
}
