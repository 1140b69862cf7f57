// Configuration comes from environment variables only (as on Cloud Run), read and validated once at start-up. The
// schemas are keyed by variable name, so a failure names the variable and says why.
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { describeIssues } from './issues.ts';

export const envInt = (fallback: number, bounds: { min?: number; max?: number } = {}) =>
  z.coerce
    .number()
    .int()
    .min(bounds.min ?? 0)
    .max(bounds.max ?? Number.MAX_SAFE_INTEGER)
    .default(fallback);

export const envBool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .transform((value) => value === 'true' || value === '1' || value === 'yes')
    .default(fallback);

export const envString = () => z.string().trim().min(1);

export const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info');

export function readConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(defined);
  if (result.success) return result.data;
  const problems = describeIssues(result.error, '(environment)').map((line) => `  - ${line}`);
  throw new ConfigError(`configuration is not valid:\n${problems.join('\n')}`);
}

/** The Google Cloud project: set explicitly, found by the client libraries on Cloud Run, or a local one for the emulators. */
export function projectIdFrom(env: NodeJS.ProcessEnv): string | undefined {
  return env.GOOGLE_CLOUD_PROJECT || env.PUBSUB_PROJECT_ID || env.GCLOUD_PROJECT || undefined;
}
