// Sample payloads, one per provider, shaped like the real thing, with fresh ids so that each send is a new event.
import { randomBytes, randomUUID } from 'node:crypto';
import type { ProviderName } from '../../shared/src/sources.ts';

export interface Sample {
  body: Buffer;
  contentType: string;
  eventType?: string;
}

const token = (length = 14) => randomBytes(length).toString('base64url').replace(/[-_]/g, 'x').slice(0, length);
const json = (value: unknown, eventType?: string): Sample => ({
  body: Buffer.from(JSON.stringify(value)),
  contentType: 'application/json',
  ...(eventType === undefined ? {} : { eventType }),
});

export function sampleFor(provider: ProviderName, now: number, eventType?: string): Sample {
  switch (provider) {
    case 'stripe': {
      const type = eventType ?? 'payment_intent.succeeded';
      const status = type.endsWith('succeeded') ? 'succeeded' : type.endsWith('failed') ? 'requires_payment_method' : 'processing';
      return json({
        id: `evt_${token(24)}`,
        object: 'event',
        api_version: '2025-09-30.clover',
        created: now,
        type,
        livemode: false,
        data: { object: { id: `pi_${token(24)}`, object: 'payment_intent', amount: 2000, currency: 'usd', status, created: now } },
      });
    }
    case 'github':
      return json(
        {
          ref: 'refs/heads/main',
          before: randomBytes(20).toString('hex'),
          after: randomBytes(20).toString('hex'),
          repository: { id: 1296269, full_name: 'octo-org/hello-world', html_url: 'https://github.com/octo-org/hello-world' },
          pusher: { name: 'octocat', email: 'octocat@example.com' },
          commits: [{ id: randomBytes(20).toString('hex'), message: 'Fix the flux capacitor', author: { name: 'Octo Cat' } }],
        },
        eventType ?? 'push',
      );
    case 'slack':
      return json({
        token: 'unused',
        team_id: 'T0001',
        api_app_id: 'A0001',
        type: 'event_callback',
        event_id: `Ev${token(10).toUpperCase()}`,
        event_time: now,
        event: { type: eventType ?? 'app_mention', user: 'U0001', text: '<@U0002> hello', channel: 'C0001', ts: `${now}.000100` },
      });
    case 'shopify':
      return json(
        { id: Number(String(now) + String(Math.floor(Math.random() * 1000))), email: 'buyer@example.com', total_price: '19.90', currency: 'EUR' },
        eventType ?? 'orders/create',
      );
    case 'standard-webhooks':
      return json({ type: eventType ?? 'invoice.paid', timestamp: new Date(now * 1000).toISOString(), data: { id: `inv_${token()}`, amount: 4200 } });
    case 'meta':
      return json({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: '102290129340398',
            changes: [
              {
                field: 'messages',
                value: { messaging_product: 'whatsapp', messages: [{ id: `wamid.${token(20)}`, from: '15551234567', timestamp: String(now), type: 'text', text: { body: 'Hello' } }] },
              },
            ],
          },
        ],
      });
    case 'twilio': {
      const fields = new URLSearchParams({
        AccountSid: `AC${randomBytes(16).toString('hex')}`,
        MessageSid: `SM${randomBytes(16).toString('hex')}`,
        MessageStatus: eventType ?? 'delivered',
        From: '+15557654321',
        To: '+15551234567',
      });
      return { body: Buffer.from(fields.toString()), contentType: 'application/x-www-form-urlencoded' };
    }
    case 'x':
      return json({
        for_user_id: '2244994945',
        tweet_create_events: [{ id_str: String(now) + token(4).replace(/\D/g, '1'), text: 'hello @hookpipe', user: { screen_name: 'someone' } }],
      });
    case 'hmac':
    case 'token':
      return json({ id: randomUUID(), type: eventType ?? 'example.created', created: new Date(now * 1000).toISOString(), data: { value: 42 } });
  }
}
