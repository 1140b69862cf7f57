// The load generator, in its own process so that it does not share an event loop with what it measures. Reads
// one JSON job from argv, sends GitHub-signed push webhooks with autocannon, prints one JSON result.
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { githubBody, githubHeaders } from './payloads.ts';

export interface LoadJob {
  url: string;
  payloadBytes: number;
  secret: string;
  connections: number;
  durationSeconds?: number;
  amount?: number;
  /** Requests per second over all connections; absent for a closed loop (each connection sends as fast as answered). */
  rate?: number;
  /** Each request a new X-GitHub-Delivery (for end-to-end runs, where the ledger would fold repeats). */
  unique?: boolean;
  /** Headers sent besides GitHub's, as a front end adds them (Cloud Run's trace context). */
  headers?: Record<string, string> | undefined;
}

export interface LoadResult {
  requests: number;
  twoxx: number;
  non2xx: number;
  statusCodes: Record<string, { count: number }>;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  latency: { p50: number; p90: number; p99: number; max: number };
}

/** autocannon's result as the benchmark keeps it. */
export function summarise(result: autocannon.Result): LoadResult {
  return {
    requests: result.requests.total,
    twoxx: result['2xx'],
    non2xx: result.non2xx,
    statusCodes: result.statusCodeStats as unknown as LoadResult['statusCodes'],
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  };
}

async function main(job: LoadJob): Promise<LoadResult> {
  const body = githubBody(job.payloadBytes);
  // GitHub signs the body only, so one signature serves every request; the delivery id is a header of its own.
  const headers = { ...job.headers, ...githubHeaders(body, job.secret, job.url) };
  const result = await autocannon({
    url: job.url,
    method: 'POST',
    connections: job.connections,
    ...(job.durationSeconds ? { duration: job.durationSeconds } : {}),
    ...(job.amount ? { amount: job.amount } : {}),
    ...(job.rate ? { overallRate: job.rate } : {}),
    timeout: 30,
    headers,
    body,
    ...(job.unique
      ? {
          requests: [
            {
              setupRequest: (request: autocannon.Request) => ({
                ...request,
                headers: { ...(request.headers as Record<string, string>), 'x-github-delivery': randomUUID() },
              }),
            },
          ],
        }
      : {}),
  });
  return summarise(result);
}

if (import.meta.main) console.log(JSON.stringify(await main(JSON.parse(process.argv[2]!) as LoadJob)));
