// The ingress as Cloud Run runs it: configuration from the environment only, one Pub/Sub client and topic for the
// process, and a SIGTERM handler that stops taking requests, lets the ones under way finish and flushes.
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { cachedProbe } from '../../shared/src/cached.ts';
import { createLogger } from '../../shared/src/logger.ts';
import { createPubSub, openTopic } from '../../shared/src/pubsub.ts';
import { closeServer, runService, shutdownWatchdog } from '../../shared/src/shutdown.ts';
import { TOPOLOGY } from '../../shared/src/topology.ts';
import { createIngressApp } from './app.ts';
import { checkBudgetFitsSources, createBodyBudget } from './body-budget.ts';
import { readIngressConfig } from './config.ts';
import { loadSources } from './providers/index.ts';
import { createBoundedPublisher, type TopicPort } from './publisher.ts';

export async function startIngress(env: NodeJS.ProcessEnv = process.env) {
  const config = readIngressConfig(env);
  const sources = loadSources(config.HOOKPIPE_SOURCES, env);
  checkBudgetFitsSources(config.bodyBudget, sources);
  const bodyBudget = createBodyBudget(config.bodyBudget);
  const logger = createLogger({ service: 'ingress', level: config.LOG_LEVEL });
  const pubsub = createPubSub(config.projectId);
  const topic = openTopic(pubsub, config.HOOKPIPE_TOPIC, {
    timeoutMs: config.HOOKPIPE_PUBLISH_TIMEOUT_MS,
    batchMaxMessages: config.HOOKPIPE_BATCH_MAX_MESSAGES,
    batchMaxMilliseconds: config.HOOKPIPE_BATCH_MAX_MS,
    batchMaxBytes: config.HOOKPIPE_BATCH_MAX_BYTES,
    messageOrdering: TOPOLOGY.messageOrdering,
  });
  const publisher = createBoundedPublisher(topic as unknown as TopicPort, {
    maxOutstandingMessages: config.HOOKPIPE_MAX_OUTSTANDING_MESSAGES,
    maxOutstandingBytes: config.HOOKPIPE_MAX_OUTSTANDING_BYTES,
    timeoutMs: config.HOOKPIPE_PUBLISH_TIMEOUT_MS,
  });

  const ready = cachedProbe(async () => (await topic.exists())[0], 5000);

  let shuttingDown = false;
  const app = createIngressApp({
    sources,
    publisher,
    logger,
    ready,
    isShuttingDown: () => shuttingDown,
    bodyBudget,
    publicUrl: config.HOOKPIPE_PUBLIC_URL ? new URL(config.HOOKPIPE_PUBLIC_URL) : undefined,
    allowRequestUrl: config.PUBSUB_EMULATOR_HOST !== undefined,
    trustProxy: config.HOOKPIPE_TRUST_PROXY,
    projectId: config.projectId,
  });

  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.PORT }, () => resolve(s as Server)) as Server;
    // Slow senders are cut off: headers within this, whole requests within that.
    s.headersTimeout = config.HOOKPIPE_HEADERS_TIMEOUT_MS;
    s.requestTimeout = config.HOOKPIPE_REQUEST_TIMEOUT_MS;
    // Above Google's front end idle timeout, so it is the proxy, not this server, that closes idle connections.
    s.keepAliveTimeout = 620_000;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info(
    { port, sources: sources.map((s) => `${s.name} (${s.provider})`), topic: config.HOOKPIPE_TOPIC, bodyBudget: config.bodyBudget },
    'ingress listening',
  );

  async function shutdown(signal: string): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal, outstanding: publisher.outstanding() }, 'ingress shutting down');
    const stopWatchdog = shutdownWatchdog(config.HOOKPIPE_SHUTDOWN_TIMEOUT_MS, logger, () => ({ outstanding: publisher.outstanding() }));
    await closeServer(server, () => publisher.drain());
    await pubsub.close();
    stopWatchdog();
    logger.info('ingress stopped');
    logger.flush();
  }

  return { server, port, app, publisher, bodyBudget, shutdown, logger };
}

if (import.meta.main) await runService('ingress', () => startIngress());
