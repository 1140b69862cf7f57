import { z } from 'zod';
import { envBool, envInt, envString, logLevel, projectIdFrom, readConfig } from '../../shared/src/config.ts';
import { TOPOLOGY } from '../../shared/src/topology.ts';
import { DEFAULT_LEDGER_COLLECTION } from './ledger.ts';

export const DEFAULT_HANDLERS = 'processor/src/examples/handlers.ts';

const schema = z
  .object({
    PORT: envInt(8081, { min: 0, max: 65535 }),
    HOOKPIPE_HANDLERS: envString().default(DEFAULT_HANDLERS),
    HOOKPIPE_DEAD_LETTER_TOPIC: envString().default(TOPOLOGY.deadLetterTopic),
    HOOKPIPE_MAX_DELIVERY_ATTEMPTS: envInt(TOPOLOGY.maxDeliveryAttempts, { min: 5, max: 100 }),
    HOOKPIPE_ACK_DEADLINE_SECONDS: envInt(TOPOLOGY.ackDeadlineSeconds, { min: 10, max: 600 }),
    HOOKPIPE_HANDLER_TIMEOUT_MS: envInt((TOPOLOGY.ackDeadlineSeconds - 10) * 1000, { min: 100 }),
    HOOKPIPE_MAX_CONCURRENT_DELIVERIES: envInt(32, { min: 1, max: 1000 }),
    HOOKPIPE_UNHANDLED: z.enum(['ignore', 'dead-letter']).default('ignore'),
    HOOKPIPE_LEDGER_COLLECTION: envString().default(DEFAULT_LEDGER_COLLECTION),
    HOOKPIPE_LEDGER_RETENTION_DAYS: envInt(30, { min: 1, max: 3650 }),
    HOOKPIPE_PUSH_AUTH: z.enum(['oidc', 'none']).default('oidc'),
    HOOKPIPE_PUSH_AUDIENCE: z.string().min(1).optional(),
    HOOKPIPE_PUSH_SERVICE_ACCOUNT: z.email().optional(),
    HOOKPIPE_SHUTDOWN_TIMEOUT_MS: envInt(9_000, { min: 100, max: 60_000 }),
    HOOKPIPE_ADMIN: envBool(true),
    LOG_LEVEL: logLevel,
  })
  .superRefine((config, ctx) => {
    if (config.HOOKPIPE_HANDLER_TIMEOUT_MS >= config.HOOKPIPE_ACK_DEADLINE_SECONDS * 1000) {
      ctx.addIssue({
        code: 'custom',
        path: ['HOOKPIPE_HANDLER_TIMEOUT_MS'],
        message: `must stay below the ack deadline (${config.HOOKPIPE_ACK_DEADLINE_SECONDS} s), or Pub/Sub redelivers while the handler still runs`,
      });
    }
    if (config.HOOKPIPE_PUSH_AUTH === 'oidc') {
      for (const key of ['HOOKPIPE_PUSH_AUDIENCE', 'HOOKPIPE_PUSH_SERVICE_ACCOUNT'] as const) {
        if (!config[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required with HOOKPIPE_PUSH_AUTH=oidc (set HOOKPIPE_PUSH_AUTH=none only for the emulator)' });
      }
    }
  });

export type ProcessorConfig = z.output<typeof schema> & { projectId: string | undefined };

export function readProcessorConfig(env: NodeJS.ProcessEnv = process.env): ProcessorConfig {
  return { ...readConfig(schema, env), projectId: projectIdFrom(env) };
}
