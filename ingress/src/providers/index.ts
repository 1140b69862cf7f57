// The provider registry: the one list of providers, keyed by the name a source gives as `provider:`. The sources
// file's schema is built from it here, once, so every reader of a sources file (the ingress, `hookpipe`, the tests)
// imports `loadSources` from this module. Adding a provider: its module in this folder, and one line below.
import { defineSources, type OptionsOf, type SourceFor, type SourceOf } from '../../../shared/src/sources.ts';
import { adyen } from './adyen.ts';
import { awsSns } from './aws-sns.ts';
import { bitbucket } from './bitbucket.ts';
import { calendly } from './calendly.ts';
import { clerk } from './clerk.ts';
import { discord } from './discord.ts';
import { github } from './github.ts';
import { gitlab } from './gitlab.ts';
import { genericHmac } from './hmac.ts';
import { hubspot } from './hubspot.ts';
import { intercom } from './intercom.ts';
import { linear } from './linear.ts';
import { liveblocks } from './liveblocks.ts';
import { mailgun } from './mailgun.ts';
import { meta } from './meta.ts';
import { microsoftGraph } from './microsoft-graph.ts';
import { okta } from './okta.ts';
import { openai } from './openai.ts';
import { paddle } from './paddle.ts';
import { pagerduty } from './pagerduty.ts';
import { publicKey } from './public-key.ts';
import { replicate } from './replicate.ts';
import { resend } from './resend.ts';
import { sendgrid } from './sendgrid.ts';
import { sentry } from './sentry.ts';
import { shopify } from './shopify.ts';
import { slack } from './slack.ts';
import { square } from './square.ts';
import { standardWebhooks } from './standard-webhooks.ts';
import { stripe } from './stripe.ts';
import { token } from './token.ts';
import { twilio } from './twilio.ts';
import { twitch } from './twitch.ts';
import { typeform } from './typeform.ts';
import type { Described, KeyPlan, Provider, Reply, Sample, SignInput, Verdict, WebhookRequest } from './types.ts';
import { vercel } from './vercel.ts';
import { x } from './x.ts';
import { zoom } from './zoom.ts';

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
  'public-key': publicKey,
  sendgrid,
  discord,
  token,
  twitch,
  zoom,
  square,
  hubspot,
  mailgun,
  linear,
  intercom,
  gitlab,
  bitbucket,
  paddle,
  pagerduty,
  calendly,
  typeform,
  sentry,
  vercel,
  adyen,
  clerk,
  resend,
  replicate,
  liveblocks,
  openai,
  'aws-sns': awsSns,
  'microsoft-graph': microsoftGraph,
  okta,
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
  /** With the source's keys, or with `keys`: the request's own, where the provider locates them (SNS). */
  verify(request: WebhookRequest, now: number, keys?: readonly Buffer[]): Verdict;
  describe(request: WebhookRequest, payload: () => unknown): Described;
  handshake: ((request: WebhookRequest) => Reply | undefined) | undefined;
  /** The method `handshake` answers: GET, or POST (Microsoft Graph). */
  handshakeMethod: 'GET' | 'POST';
  /** For providers whose keys come with each request (SNS): where this request's key is (see types.ts). */
  locateKeys: ((request: WebhookRequest, now: number, local: boolean) => KeyPlan) | undefined;
  challenge: ((payload: unknown, request: WebhookRequest) => Reply | undefined) | undefined;
  /** Set when signatures cover the URL: this source's own public URL, if it has one. */
  urlSigning: { publicUrl: string | undefined } | undefined;
  /** The answer once the publish is confirmed, where the provider asks for one of its own (Adyen); else the 202. */
  accepted: Reply | undefined;
  /** Signs as the provider would, with the source's first secret (or its signingKey) unless another is given. */
  sign(input: SignInput, secret?: string): Record<string, string>;
  /** The body as it is sent: sealed with a signature inside for providers that sign so (Mailgun), else unchanged. */
  seal(input: SignInput, secret?: string): Buffer;
  sample(now: number, eventType?: string): Sample;
}

/** Binds a source's provider to its options and keys; generic in the provider, so that the two correlate. */
export function bindProvider<P extends ProviderName>(source: SourceFor<OptionsMap, P>): BoundProvider {
  const provider = PROVIDER_REGISTRY[source.provider];
  const { keys, options } = source;
  const handshake = provider.handshake?.bind(provider);
  const challenge = provider.challenge?.bind(provider);
  const locateKeys = provider.locateKeys?.bind(provider);
  return {
    name: source.provider,
    verify: (request, now, own = keys) => provider.verify(request, own, options, now),
    describe: (request, payload) => provider.describe(request, payload),
    handshake: handshake && ((request) => handshake(request, keys, options)),
    handshakeMethod: provider.handshakeMethod ?? 'GET',
    locateKeys: locateKeys && ((request, now, local) => locateKeys(request, keys, options, now, local)),
    challenge: challenge && ((payload, request) => challenge(payload, request, keys, options)),
    urlSigning: provider.urlSigning?.(options),
    accepted: provider.accepted,
    sign: (input, secret = source.signingKey ?? source.secrets[0]!) => provider.sign(input, secret, options),
    seal: (input, secret = source.secrets[0]!) => provider.seal?.(input, secret, options) ?? input.body,
    sample: (now, eventType) => provider.sample(now, eventType),
  };
}
