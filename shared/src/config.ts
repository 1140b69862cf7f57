// Configuration comes from environment variables only (as on Cloud Run), read and validated once at start-up. The
// schemas are keyed by variable name, so a failure names the variable and says why; each variable is declared once,
// in settings.ts, from these building blocks.
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

/** The one way a configuration is refused: every problem on its own line, each naming its variable. */
export function configError(problems: readonly string[]): ConfigError {
  return new ConfigError(`configuration is not valid:\n${problems.map((line) => `  - ${line}`).join('\n')}`);
}

/** Variables from shared/src/settings.ts (an empty one counts as unset); throws ConfigError naming each bad one. */
export function readConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(defined);
  if (result.success) return result.data;
  throw configError(describeIssues(result.error, '(environment)'));
}
