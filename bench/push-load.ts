// The processor's load generator: posts Pub/Sub push envelopes straight at /pubsub/push, each a new event (its own
// deliveryId and messageId, so the ledger claims every one instead of folding repeats into duplicates). Runs in its
// own process, so that it does not share an event loop with what it measures; reads one JSON job from argv, runs
// autocannon, prints one JSON result.
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';

interface Job {
  url: string;
  /** The webhook body the envelopes carry (base64-encoded here, as Pub/Sub does). */
  body: string;
  subscription: string;
  connections: number;
  durationSeconds: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
const run = randomBytes(4).toString('hex');
let sequence = 0;
const data = Buffer.from(job.body).toString('base64');
const publishTime = new Date().toISOString();

// Everything but the ids is the same in every envelope: built once, the ids spliced in per request.
function envelope(id: string): string {
  return JSON.stringify({
    message: {
      data,
      attributes: {
        source: 'github',
        provider: 'github',
        deliveryId: id,
        eventType: 'push',
        receivedAt: publishTime,
        contentType: 'application/json',
      },
      messageId: id,
      publishTime,
    },
    subscription: job.subscription,
  });
}
const MARK = '@@id@@';
const [head, middle, tail] = envelope(MARK).split(MARK) as [string, string, string];

const result = await autocannon({
  url: job.url,
  method: 'POST',
  connections: job.connections,
  duration: job.durationSeconds,
  timeout: 30,
  headers: { 'content-type': 'application/json' },
  requests: [
    {
      setupRequest: (request: autocannon.Request) => {
        sequence += 1;
        const id = `${run}-${sequence}`;
        return { ...request, body: `${head}${id}${middle}${id}${tail}` };
      },
    },
  ],
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
