// What a user would write from Google's Cloud Run webhook sample: Express with JSON body parsing, an HMAC check
// of GitHub's signature header over the raw body, and one awaited Pub/Sub publish per request, with the client's
// default settings.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PubSub } from '@google-cloud/pubsub';
import express from 'express';

const secret = process.env.WEBHOOK_SECRET ?? '';
const topic = new PubSub().topic(process.env.TOPIC ?? 'webhook-events');
const app = express();

const keepRawBody = (request: unknown, _response: unknown, buffer: Buffer) => ((request as { rawBody: Buffer }).rawBody = buffer);
app.use(express.json({ limit: '10mb', verify: keepRawBody }));

app.post('/webhooks/github', async (request, response) => {
  const signature = /^sha256=([0-9a-f]{64})$/.exec(request.get('x-hub-signature-256') ?? '')?.[1];
  const rawBody = (request as unknown as { rawBody: Buffer }).rawBody;
  if (!signature || !rawBody) return void response.status(401).send('Unauthorized');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  if (!timingSafeEqual(Buffer.from(signature, 'hex'), expected)) return void response.status(401).send('Unauthorized');
  try {
    const attributes = {
      event: request.get('x-github-event') ?? '',
      delivery: request.get('x-github-delivery') ?? '',
      ref: String(request.body.ref),
    };
    const messageId = await topic.publishMessage({ data: rawBody, attributes });
    response.status(202).json({ messageId });
  } catch {
    response.status(503).send('Unavailable');
  }
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ message: 'listening', port: typeof address === 'object' && address ? address.port : 0 }));
});
