// An ingress app over an in-memory publisher, for tests through Hono's `app.request`: what it published, and its
// log lines. The clock is fixed at NOW, so signed timestamps are made with it.
import { createIngressApp, type IngressDeps } from '../../ingress/src/app.ts';
import type { Source } from '../../ingress/src/providers/index.ts';
import type { BoundedPublisher, OutgoingMessage } from '../../ingress/src/publisher.ts';
import { createLogger } from '../../shared/src/logger.ts';

/** Unix seconds of the app's clock. */
export const NOW = 1_763_000_000;

export function ingressApp(sources: readonly Source[], deps: Partial<IngressDeps> = {}) {
  const published: OutgoingMessage[] = [];
  const lines: string[] = [];
  const publisher: BoundedPublisher = {
    publish: async (message) => {
      published.push(message);
      return String(published.length);
    },
    outstanding: () => ({ messages: 0, bytes: 0 }),
    drain: async () => {},
  };
  const logger = createLogger({ service: 'ingress', level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  const app = createIngressApp({ sources, publisher, logger, ready: async () => true, clock: () => NOW * 1000, ...deps });
  return { app, published, lines };
}
