// The processor as Cloud Run runs it: private, fed by the push subscription, configured from the environment and
// from the push subscription itself (its ack deadline and delivery attempts), stopped within Cloud Run's 10 s.

import { setMaxListeners } from 'node:events';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import { serve } from '@hono/node-server';
import { type OpsConfig, openOps, readOpsConfig } from '../../ops/src/context.ts';
import { forceReplayReader } from '../../ops/src/force-windows.ts';
import { cachedProbe } from '../../shared/src/cached.ts';
import { describeError } from '../../shared/src/errors.ts';
import { createLimiter } from '../../shared/src/limiter.ts';
import { createLogger, type Logger } from '../../shared/src/logger.ts';
import { createPubSub, openTopic } from '../../shared/src/pubsub.ts';
import { type DetectedProject, requireProjectId } from '../../shared/src/settings.ts';
import { abortAfter, closeServer, drainDeadlineMs, runService, shutdownWatchdog } from '../../shared/src/shutdown.ts';
import { readTracingMode, startTracing, type TracingOptions } from '../../shared/src/tracing.ts';
import { createAdminApp } from './admin/api.ts';
import { createProcessorApp } from './app.ts';
import { readProcessorConfig, type SubscriptionSettings, subscriptionSettings } from './config.ts';
import type { DeliveryDeps } from './deliver.ts';
import { type Handler, loadHandlers } from './handlers.ts';
import { FirestoreLedger } from './ledger.ts';
import { createPushVerifier, type KeySource } from './push-auth.ts';

/** A path (relative to the working directory) or a package name, as HOOKPIPE_HANDLERS gives it. */
function moduleSpecifier(value: string): string {
  return value.startsWith('.') || value.startsWith('/') || value.endsWith('.ts') || value.endsWith('.js')
    ? pathToFileURL(resolve(value)).href
    : value;
}

export interface ProcessorOverrides {
  /** Tests bring handlers as closures instead of a module. */
  handlers?: readonly Handler[];
  /** Tests sign push tokens with their own key. */
  pushKeys?: KeySource;
  forceReplay?: DeliveryDeps['forceReplay'];
  /** Tests read the delivery log lines. */
  logger?: Logger;
  /** Tests read the spans from memory. */
  spanExporter?: TracingOptions['exporter'];
}

/**
 * The push subscription's own ack deadline and delivery attempts, which environment variables can only repeat, and
 * drift from. Reading them needs pubsub.subscriptions.get on the subscription (in roles/pubsub.viewer; the
 * subscriber role, which the processor holds to seek, is not documented to include it:
 * https://cloud.google.com/pubsub/docs/access-control). Without it, or before the subscription exists, the
 * environment's values stand, and the log says so.
 */
async function readSubscription(pubsub: PubSub, name: string, logger: Logger): Promise<SubscriptionSettings | undefined> {
  try {
    const [metadata] = await pubsub.subscription(name).getMetadata({ timeout: 10_000 });
    const settings = subscriptionSettings(name, metadata);
    if (settings.maxDeliveryAttempts === undefined) {
      logger.warn({ subscription: name }, 'the push subscription has no dead-letter policy: HOOKPIPE_MAX_DELIVERY_ATTEMPTS is used as set');
    }
    return settings;
  } catch (error) {
    logger.warn(
      { subscription: name, error: describeError(error) },
      'cannot read the push subscription: HOOKPIPE_ACK_DEADLINE_SECONDS and HOOKPIPE_MAX_DELIVERY_ATTEMPTS are used as set',
    );
    return undefined;
  }
}

/**
 * The project: as set, else as the client libraries find it (on Cloud Run, from the metadata server). Without one
 * no Pub/Sub or Firestore call can work (the Pub/Sub client even throws outside any promise, killing the process
 * with a stack trace), so the start-up stops here with a ConfigError naming GOOGLE_CLOUD_PROJECT and why none was found.
 */
async function projectOf(configured: string | undefined, pubsub: PubSub): Promise<string> {
  if (configured !== undefined) return configured;
  let detected: DetectedProject;
  try {
    detected = { projectId: await pubsub.auth.getProjectId() };
  } catch (error) {
    detected = { error: describeError(error).message.split('\n')[0] };
  }
  return requireProjectId({}, detected);
}

export async function startProcessor(env: NodeJS.ProcessEnv = process.env, overrides: ProcessorOverrides = {}) {
  // The environment is checked before anything is opened; then again with what the subscription says.
  const fromEnv = readProcessorConfig(env);
  const tracingMode = readTracingMode(env);
  const logger = overrides.logger ?? createLogger({ service: 'processor', level: fromEnv.LOG_LEVEL });
  const pubsub = createPubSub(fromEnv.projectId);
  let config = fromEnv;
  let projectId: string;
  let opsConfig: OpsConfig | undefined;
  try {
    projectId = await projectOf(fromEnv.projectId, pubsub);
    const subscription = await readSubscription(pubsub, fromEnv.HOOKPIPE_PUSH_SUBSCRIPTION, logger);
    if (subscription) config = readProcessorConfig(env, subscription);
    // The admin page's operations: their variables checked now, with the services' ConfigError.
    if (config.HOOKPIPE_ADMIN) opsConfig = readOpsConfig(env, { projectId });
  } catch (error) {
    await pubsub.close();
    throw error;
  }
  const { timing } = config;
  for (const drift of config.drift) {
    logger.warn(drift, `${drift.variable} differs from the push subscription's; the subscription's value is used`);
  }
  const firestore = new Firestore({ projectId });
  // Before the handlers load, so that a handlers module taking its tracer at load time gets the registered one.
  const tracing = await startTracing(tracingMode, { service: 'processor', projectId, exporter: overrides.spanExporter, logger });
  const deadLetterTopic = openTopic(pubsub, config.HOOKPIPE_DEAD_LETTER_TOPIC, {
    timeoutMs: 10_000,
    batchMaxMessages: 100,
    batchMaxMilliseconds: 5,
    batchMaxBytes: 1024 * 1024,
    // A dead letter keeps its message's ordering key, for its redrive (dead-lettering.ts); the client publishes keys only so.
    messageOrdering: true,
  });
  const handlers = overrides.handlers ?? (await loadHandlers(moduleSpecifier(config.HOOKPIPE_HANDLERS), { firestore, env, logger }));
  const ledger = new FirestoreLedger(firestore, {
    collection: config.HOOKPIPE_LEDGER_COLLECTION,
    leaseMs: timing.leaseMs,
    retentionDays: config.HOOKPIPE_LEDGER_RETENTION_DAYS,
  });

  if (config.HOOKPIPE_PUSH_AUTH === 'none') {
    logger.warn(
      'PUSH AUTHENTICATION IS OFF (HOOKPIPE_PUSH_AUTH=none): anyone who can reach this service can inject events. Use this only with the Pub/Sub emulator.',
    );
  }
  const verifyPush =
    config.HOOKPIPE_PUSH_AUTH !== 'none'
      ? createPushVerifier({
          mode: config.HOOKPIPE_PUSH_AUTH,
          audience: config.HOOKPIPE_PUSH_AUDIENCE!,
          serviceAccountEmail: config.HOOKPIPE_PUSH_SERVICE_ACCOUNT!,
          ...(overrides.pushKeys ? { keys: overrides.pushKeys } : {}),
        })
      : undefined;

  const ready = cachedProbe(
    async () => Boolean(await firestore.collection(config.HOOKPIPE_LEDGER_COLLECTION).doc('_readiness').get()),
    5000,
    (error) => logger.warn({ error: describeError(error) }, 'not ready: the ledger does not answer'),
  );

  let shuttingDown = false;
  // Aborted at the shutdown's drain deadline: what still runs then is abandoned (deliver.ts).
  const stopping = new AbortController();
  // Each running handler listens to it (deliver.ts): at most the concurrency limit at once.
  setMaxListeners(config.HOOKPIPE_MAX_CONCURRENT_DELIVERIES + 1, stopping.signal);
  const delivery: DeliveryDeps = {
    handlers,
    ledger,
    deadLetter: deadLetterTopic,
    logger,
    handlerTimeoutMs: timing.handlerTimeoutMs,
    maxDeliveryAttempts: timing.maxDeliveryAttempts,
    unhandled: config.HOOKPIPE_UNHANDLED,
    forceReplay: overrides.forceReplay ?? forceReplayReader(firestore),
    stopping: stopping.signal,
  };
  const limiter = createLimiter(config.HOOKPIPE_MAX_CONCURRENT_DELIVERIES);
  const ops = opsConfig && openOps(opsConfig, pubsub, firestore, logger);
  const admin = ops && createAdminApp(ops, logger);
  const app = createProcessorApp({
    delivery,
    logger,
    limiter,
    verifyPush,
    ready,
    isShuttingDown: () => shuttingDown,
    admin,
    projectId,
    tracer: tracing?.tracer,
  });

  const server = await new Promise<Server>((resolveServer) => {
    const s = serve({ fetch: app.fetch, port: config.PORT }, () => resolveServer(s as Server)) as Server;
    s.keepAliveTimeout = 620_000;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info(
    { port, handlers: handlers.map((h) => h.name), pushAuth: config.HOOKPIPE_PUSH_AUTH, timing, tracing: tracingMode },
    'processor listening',
  );

  /**
   * Within HOOKPIPE_SHUTDOWN_TIMEOUT_MS (under Cloud Run's 10 s to SIGKILL): no new connections; deliveries under
   * way may finish until the drain deadline; those still running then are abandoned, answered retry (never
   * processed) with their leases left to expire, so their answers, the flush and the closes fit before the watchdog.
   */
  async function shutdown(signal: string): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal, ...limiter.stats() }, 'processor shutting down');
    const stopWatchdog = shutdownWatchdog(timing.shutdownTimeoutMs, logger, () => limiter.stats());
    const abandoning = () => logger.warn(limiter.stats(), 'drain deadline passed: abandoning the deliveries still running');
    stopping.signal.addEventListener('abort', abandoning, { once: true });
    const stopCutting = abortAfter(stopping, drainDeadlineMs(timing.shutdownTimeoutMs), () => new Error('the drain deadline passed'));
    await closeServer(server, () => limiter.idle());
    stopCutting();
    await deadLetterTopic.flush();
    await ops?.close();
    await Promise.all([pubsub.close(), firestore.terminate()]);
    // The spans of the last deliveries, exported before the instance goes.
    await tracing?.shutdown().catch((error: unknown) => logger.warn({ error: describeError(error) }, 'spans not exported at shutdown'));
    stopWatchdog();
    logger.info('processor stopped');
    logger.flush();
  }

  return { server, port, app, shutdown, logger, firestore, ledger, config, ops };
}

if (import.meta.main) await runService('processor', () => startProcessor());
