// The load generator, in its own process so that it does not share an event loop with what it measures. Reads
// one JSON job from argv, runs autocannon, prints one JSON result.
import { createHmac, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

interface Job {
  url: string;
  body: string;
  secret: string;
  connections: number;
  durationSeconds?: number;
  amount?: number;
  /** Requests per second over all connections; absent for saturation. */
  rate?: number;
  /** Each request a new event id (for end-to-end runs, where the ledger would fold repeats). */
  unique?: boolean;
}

const job = JSON.parse(process.argv[2]!) as Job;
const sign = (body: string) => {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', job.secret).update(`${t}.${body}`).digest('hex')}`;
};
// One signature for a fixed body, renewed each second would change nothing measurable; within a run it stays valid.
const fixedSignature = sign(job.body);
const base = JSON.parse(job.body) as { id: string };

const result = await autocannon({
  url: job.url,
  method: 'POST',
  connections: job.connections,
  ...(job.durationSeconds ? { duration: job.durationSeconds } : {}),
  ...(job.amount ? { amount: job.amount } : {}),
  ...(job.rate ? { overallRate: job.rate } : {}),
  timeout: 30,
  headers: { 'content-type': 'application/json', 'stripe-signature': fixedSignature },
  body: job.body,
  ...(job.unique
    ? {
        requests: [
          {
            setupRequest: (request: autocannon.Request) => {
              const body = JSON.stringify({ ...base, id: `evt_${randomUUID().replaceAll('-', '')}` });
              return { ...request, body, headers: { ...(request.headers as Record<string, string>), 'stripe-signature': sign(body) } };
            },
          },
        ],
      }
    : {}),
});

console.log(
  JSON.stringify({
    requests: result.requests.total,
    twoxx: result['2xx'],
    non2xx: result.non2xx,
    statusCodes: result.statusCodeStats,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  }),
);
