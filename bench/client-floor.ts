// One of the costs in hookpipe's way, measured alone: the CPU the Pub/Sub client spends per published message with
// the ingress's batching, with no HTTP at all. Run by bench/run.ts in its own process; prints one JSON line.
import { PubSub } from '@google-cloud/pubsub';

const [topicName, sizeText, inflightText] = process.argv.slice(2);
const pubsub = new PubSub({ projectId: process.env.GOOGLE_CLOUD_PROJECT });
const topic = pubsub.topic(topicName!, { batching: { maxMessages: 100, maxMilliseconds: 5 } });
const data = Buffer.alloc(Number(sizeText), 120);
const attributes = { source: 'stripe', provider: 'stripe', deliveryId: 'evt_1', eventType: 'payment_intent.succeeded', receivedAt: new Date().toISOString(), contentType: 'application/json' };
const inflightLimit = Number(inflightText ?? 50);

async function round(count: number) {
  const started = process.cpuUsage();
  const inflight = new Set<Promise<string>>();
  for (let i = 0; i < count; i += 1) {
    const publish = topic.publishMessage({ data, attributes });
    inflight.add(publish);
    void publish.finally(() => inflight.delete(publish));
    if (inflight.size >= inflightLimit) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  const cpu = process.cpuUsage(started);
  return (cpu.user + cpu.system) / count;
}

await round(5000); // warm-up
const microsPerMessage = await round(20000);
console.log(JSON.stringify({ microsPerMessage: Math.round(microsPerMessage * 10) / 10, inflight: inflightLimit }));
await pubsub.close();
