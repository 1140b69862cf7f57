import type { Server } from 'node:http';

/**
 * Stops a server the way Cloud Run wants on SIGTERM: no new connections, the work under way finished (`drain`),
 * then the connections still open closed. Keep-alive clients would otherwise hold the server open: responses sent
 * while shutting down carry `Connection: close` (see the services' middleware), and what is left after a short
 * grace is closed.
 */
export async function closeServer(server: Server, drain: () => Promise<void>, graceMs = 1000): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await drain();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}
