import type { ProviderName } from '../../../shared/src/sources.ts';
import { genericHmac } from './hmac.ts';
import { github } from './github.ts';
import { meta } from './meta.ts';
import { shopify } from './shopify.ts';
import { slack } from './slack.ts';
import { standardWebhooks } from './standard-webhooks.ts';
import { stripe } from './stripe.ts';
import { token } from './token.ts';
import { twilio } from './twilio.ts';
import { x } from './x.ts';
import type { Provider } from './types.ts';

export const PROVIDER_REGISTRY: { [P in ProviderName]: Provider<P> } = {
  stripe,
  github,
  slack,
  shopify,
  'standard-webhooks': standardWebhooks,
  meta,
  twilio,
  x,
  hmac: genericHmac,
  token,
};

export function providerFor<P extends ProviderName>(name: P): Provider<P> {
  return PROVIDER_REGISTRY[name] as Provider<P>;
}
