// What a user would write from Google's Cloud Run webhook sample: Express with JSON body parsing, an HMAC check
// of the signature header, and one awaited Pub/Sub publish per request, with the client's default settings.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PubSub } from '@google-cloud/pubsub';
import express from 'express';

const secret = process.env.WEBHOOK_SECRET ?? '';
const topic = new PubSub().topic(process.env.TOPIC ?? 'webhook-events');
const app = express();

app.use(express.json({ limit: '1mb', verify: (request, _response, buffer) => ((request as unknown as { rawBody: Buffer }).rawBody = buffer) }));

app.post('/webhooks/stripe', async (request, response) => {
  const header = request.get('stripe-signature') ?? '';
  const timestamp = /t=(\d+)/.exec(header)?.[1];
  const signature = /v1=([0-9a-f]+)/.exec(header)?.[1];
  const rawBody = (request as unknown as { rawBody: Buffer }).rawBody;
  if (!timestamp || !signature || !rawBody) return void response.status(401).send('Unauthorized');
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return void response.status(401).send('Unauthorized');
  try {
    const messageId = await topic.publishMessage({ data: rawBody, attributes: { type: String(request.body.type) } });
    response.status(202).json({ messageId });
  } catch {
    response.status(503).send('Unavailable');
  }
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ message: 'listening', port: typeof address === 'object' && address ? address.port : 0 }));
});
