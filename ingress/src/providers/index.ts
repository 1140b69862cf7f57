// The provider registry: the one list of providers, keyed by the name a source gives as `provider:`. The sources
// file's schema is built from it here, once, so every reader of a sources file (the ingress, `hookpipe`, the tests)
// imports `loadSources` from this module. Adding a provider: its module in this folder, and one line below.
import { defineSources, type OptionsOf, type SourceFor, type SourceOf } from '../../../shared/src/sources.ts';
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
import type { Described, Provider, Reply, Sample, SignInput, Verdict, WebhookRequest } from './types.ts';

const MODULES = {
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

export type ProviderName = keyof typeof MODULES;
type OptionsMap = { [P in ProviderName]: OptionsOf<(typeof MODULES)[P]> };
export type ProviderOptions<P extends ProviderName> = OptionsMap[P];

/** Typed as a map over the names, so that `PROVIDER_REGISTRY[source.provider]` takes that source's options. */
export const PROVIDER_REGISTRY: { [P in ProviderName]: Provider<OptionsMap[P]> } = MODULES;

export const { sourcesFileSchema, parseSources, loadSources } = defineSources<OptionsMap>(PROVIDER_REGISTRY);
export type Source = SourceOf<OptionsMap>;

/** A provider with one source's options and keys bound: what the ingress and `hookpipe send` call, with no casts. */
export interface BoundProvider {
  readonly name: ProviderName;
  verify(request: WebhookRequest, now: number): Verdict;
  describe(request: WebhookRequest, payload: () => unknown): Described;
  handshake: ((request: WebhookRequest) => Reply | undefined) | undefined;
  challenge: ((payload: unknown) => Reply | undefined) | undefined;
  /** Set when signatures cover the URL: this source's own public URL, if it has one. */
  urlSigning: { publicUrl: string | undefined } | undefined;
  /** Signs as the provider would, with the source's first secret unless another is given. */
  sign(input: SignInput, secret?: string): Record<string, string>;
  sample(now: number, eventType?: string): Sample;
}

/** Binds a source's provider to its options and keys; generic in the provider, so that the two correlate. */
export function bindProvider<P extends ProviderName>(source: SourceFor<OptionsMap, P>): BoundProvider {
  const provider = PROVIDER_REGISTRY[source.provider];
  const { keys, options } = source;
  const handshake = provider.handshake?.bind(provider);
  return {
    name: source.provider,
    verify: (request, now) => provider.verify(request, keys, options, now),
    describe: (request, payload) => provider.describe(request, payload),
    handshake: handshake && ((request) => handshake(request, keys, options)),
    challenge: provider.challenge?.bind(provider),
    urlSigning: provider.urlSigning?.(options),
    sign: (input, secret = source.secrets[0]!) => provider.sign(input, secret, options),
    sample: (now, eventType) => provider.sample(now, eventType),
  };
}
