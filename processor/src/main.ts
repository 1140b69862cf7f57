// The processor as Cloud Run runs it: private, fed by the push subscription, configured from the environment.
import { Firestore } from '@google-cloud/firestore';
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cachedProbe } from '../../shared/src/cached.ts';
import { createLogger, type Logger } from '../../shared/src/logger.ts';
import { createPubSub, openTopic } from '../../shared/src/pubsub.ts';
import { closeServer, runService, shutdownWatchdog } from '../../shared/src/shutdown.ts';
import { createProcessorApp } from './app.ts';
import { readProcessorConfig } from './config.ts';
import type { DeliveryDeps } from './deliver.ts';
import { loadHandlers, type Handler } from './handlers.ts';
import { createLimiter } from './limiter.ts';
import { FirestoreLedger } from './ledger.ts';
import { createPushVerifier, type KeySource } from './push-auth.ts';
import { openOps, readOpsConfig } from './ops/context.ts';
import { forceReplayReader } from './ops/seek.ts';
import { createAdminApp } from './ops/admin.ts';

/** A path (relative to the working directory) or a package name, as HOOKPIPE_HANDLERS gives it. */
function moduleSpecifier(value: string): string {
  return value.startsWith('.') || value.startsWith('/') || value.endsWith('.ts') || value.endsWith('.js') ? pathToFileURL(resolve(value)).href : value;
}

export interface ProcessorOverrides {
  /** Tests bring handlers as closures instead of a module. */
  handlers?: readonly Handler[];
  /** Tests sign push tokens with their own key. */
  pushKeys?: KeySource;
  forceReplay?: DeliveryDeps['forceReplay'];
  /** Tests read the delivery log lines. */
  logger?: Logger;
}

export async function startProcessor(env: NodeJS.ProcessEnv = process.env, overrides: ProcessorOverrides = {}) {
  const config = readProcessorConfig(env);
  const logger = overrides.logger ?? createLogger({ service: 'processor', level: config.LOG_LEVEL });
  const firestore = new Firestore(config.projectId ? { projectId: config.projectId } : {});
  const pubsub = createPubSub(config.projectId);
  const deadLetterTopic = openTopic(pubsub, config.HOOKPIPE_DEAD_LETTER_TOPIC, {
    timeoutMs: 10_000,
    batchMaxMessages: 100,
    batchMaxMilliseconds: 5,
    batchMaxBytes: 1024 * 1024,
    messageOrdering: false,
  });
  const handlers = overrides.handlers ?? (await loadHandlers(moduleSpecifier(config.HOOKPIPE_HANDLERS), { firestore, env, logger }));
  const ledger = new FirestoreLedger(firestore, {
    collection: config.HOOKPIPE_LEDGER_COLLECTION,
    // A claim outlives the handler's deadline, so a live handler never loses it to a redelivery; the margin scales
    // with the deadline so that a claim left by a killed instance is taken back soon when deadlines are short.
    leaseMs: config.HOOKPIPE_HANDLER_TIMEOUT_MS + Math.min(15_000, Math.max(2_000, config.HOOKPIPE_HANDLER_TIMEOUT_MS)),
    retentionDays: config.HOOKPIPE_LEDGER_RETENTION_DAYS,
  });

  if (config.HOOKPIPE_PUSH_AUTH === 'none') {
    logger.warn(
      'PUSH AUTHENTICATION IS OFF (HOOKPIPE_PUSH_AUTH=none): anyone who can reach this service can inject events. Use this only with the Pub/Sub emulator.',
    );
  }
  const verifyPush =
    config.HOOKPIPE_PUSH_AUTH === 'oidc'
      ? createPushVerifier({
          audience: config.HOOKPIPE_PUSH_AUDIENCE!,
          serviceAccountEmail: config.HOOKPIPE_PUSH_SERVICE_ACCOUNT!,
          ...(overrides.pushKeys ? { keys: overrides.pushKeys } : {}),
        })
      : undefined;

  const ready = cachedProbe(async () => Boolean(await firestore.collection(config.HOOKPIPE_LEDGER_COLLECTION).doc('_readiness').get()), 5000);

  let shuttingDown = false;
  const delivery: DeliveryDeps = {
    handlers,
    ledger,
    deadLetter: deadLetterTopic,
    logger,
    handlerTimeoutMs: config.HOOKPIPE_HANDLER_TIMEOUT_MS,
    maxDeliveryAttempts: config.HOOKPIPE_MAX_DELIVERY_ATTEMPTS,
    unhandled: config.HOOKPIPE_UNHANDLED,
    forceReplay: overrides.forceReplay ?? forceReplayReader(firestore),
  };
  const limiter = createLimiter(config.HOOKPIPE_MAX_CONCURRENT_DELIVERIES);
  const ops = config.HOOKPIPE_ADMIN
    ? openOps(readOpsConfig(env, config.projectId ?? (await pubsub.auth.getProjectId())), pubsub, firestore)
    : undefined;
  const admin = ops && createAdminApp(ops, logger);
  const app = createProcessorApp({ delivery, logger, limiter, verifyPush, ready, isShuttingDown: () => shuttingDown, admin });

  const server = await new Promise<Server>((resolveServer) => {
    const s = serve({ fetch: app.fetch, port: config.PORT }, () => resolveServer(s as Server)) as Server;
    s.keepAliveTimeout = 620_000;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info({ port, handlers: handlers.map((h) => h.name), pushAuth: config.HOOKPIPE_PUSH_AUTH }, 'processor listening');

  async function shutdown(signal: string): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal, ...limiter.stats() }, 'processor shutting down');
    const stopWatchdog = shutdownWatchdog(config.HOOKPIPE_SHUTDOWN_TIMEOUT_MS, logger, () => limiter.stats());
    await closeServer(server, () => limiter.idle());
    await deadLetterTopic.flush();
    await ops?.close();
    await Promise.all([pubsub.close(), firestore.terminate()]);
    stopWatchdog();
    logger.info('processor stopped');
    logger.flush();
  }

  return { server, port, app, shutdown, logger, firestore, ledger, config, ops };
}

if (import.meta.main) await runService('processor', () => startProcessor());
