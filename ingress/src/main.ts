// The ingress as Cloud Run runs it: configuration from the environment only, one Pub/Sub client and topic for the
// process, and a SIGTERM handler that stops taking requests, lets the ones under way finish and flushes.

import type { Server } from 'node:http';
import { rootCertificates } from 'node:tls';
import type { PubSub } from '@google-cloud/pubsub';
import { serve } from '@hono/node-server';
import { cachedProbe } from '../../shared/src/cached.ts';
import { describeError } from '../../shared/src/errors.ts';
import { createLogger } from '../../shared/src/logger.ts';
import { createPubSub, openPublishRpc } from '../../shared/src/pubsub.ts';
import { closeServer, runService, shutdownWatchdog } from '../../shared/src/shutdown.ts';
import { readTracingMode, startTracing, type TracingOptions } from '../../shared/src/tracing.ts';
import { createIngressApp } from './app.ts';
import { type AdaptiveBatcher, createAdaptiveBatcher, UNKEYED_RPC_SLOTS } from './batching.ts';
import { checkBudgetFitsSources, createBodyBudget } from './body-budget.ts';
import { type IngressConfig, readIngressConfig } from './config.ts';
import { loadSources } from './providers/index.ts';
import { createBoundedPublisher } from './publisher.ts';

/** The ingress's publishing: its own batches (batching.ts) on the library's Publish RPC, one client for the process. */
export function openIngressTopic(pubsub: PubSub, config: IngressConfig): { batcher: AdaptiveBatcher; close(): Promise<void> } {
  const publish = openPublishRpc(pubsub, config.HOOKPIPE_TOPIC);
  const batcher = createAdaptiveBatcher(publish.rpc, {
    maxMessages: config.HOOKPIPE_BATCH_MAX_MESSAGES,
    maxBytes: config.HOOKPIPE_BATCH_MAX_BYTES,
    maxConcurrentRpcs: UNKEYED_RPC_SLOTS,
    timeoutMs: config.HOOKPIPE_PUBLISH_TIMEOUT_MS,
    // Well before the shedding would call Pub/Sub stalled: one stuck request must not hold back the healthy traffic.
    releaseSlotAfterMs: Math.floor(config.shedding.slowMs / 2),
  });
  return { batcher, close: publish.close };
}

export interface IngressOverrides {
  /** Tests read the spans from memory. */
  spanExporter?: TracingOptions['exporter'];
}

export async function startIngress(env: NodeJS.ProcessEnv = process.env, overrides: IngressOverrides = {}) {
  const config = readIngressConfig(env);
  const tracingMode = readTracingMode(env);
  const sources = loadSources(config.HOOKPIPE_SOURCES, env);
  checkBudgetFitsSources(config.bodyBudget, sources);
  const bodyBudget = createBodyBudget(config.bodyBudget);
  const logger = createLogger({ service: 'ingress', level: config.LOG_LEVEL });
  const tracing = await startTracing(tracingMode, {
    service: 'ingress',
    projectId: config.projectId,
    exporter: overrides.spanExporter,
    logger,
  });
  const pubsub = createPubSub(config.projectId);
  const outgoing = openIngressTopic(pubsub, config);
  const publisher = createBoundedPublisher(outgoing.batcher, { ...config.shedding, timeoutMs: config.HOOKPIPE_PUBLISH_TIMEOUT_MS });
  // Only for readiness: publishing goes through `outgoing`.
  const topic = pubsub.topic(config.HOOKPIPE_TOPIC);

  const ready = cachedProbe(
    async () => (await topic.exists())[0],
    5000,
    (error) => logger.warn({ error: describeError(error) }, 'not ready: Pub/Sub does not answer'),
  );

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
    // What providers ask the ingress to fetch (SNS's signing certificates and subscription confirmations), checked
    // against Node's bundled root CAs.
    fetch: globalThis.fetch,
    trustedCertificates: rootCertificates,
    tracer: tracing?.tracer,
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
    {
      port,
      sources: sources.map((s) => `${s.name} (${s.provider})`),
      topic: config.HOOKPIPE_TOPIC,
      bodyBudget: config.bodyBudget,
      shedding: config.shedding,
      tracing: tracingMode,
    },
    'ingress listening',
  );

  async function shutdown(signal: string): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal, outstanding: publisher.outstanding() }, 'ingress shutting down');
    const stopWatchdog = shutdownWatchdog(config.HOOKPIPE_SHUTDOWN_TIMEOUT_MS, logger, () => ({ outstanding: publisher.outstanding() }));
    await closeServer(server, () => publisher.drain());
    await outgoing.close();
    await pubsub.close();
    // The spans of the last requests, exported before the instance goes.
    await tracing?.shutdown().catch((error: unknown) => logger.warn({ error: describeError(error) }, 'spans not exported at shutdown'));
    stopWatchdog();
    logger.info('ingress stopped');
    logger.flush();
  }

  return { server, port, app, publisher, bodyBudget, shutdown, logger };
}

if (import.meta.main) await runService('ingress', () => startIngress());
