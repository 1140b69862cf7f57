// What a provider module is. Each `providers/<name>.ts` exports one `Provider`: everything hookpipe knows about that
// provider (its options, its JSON default, how it signs and is verified, where its ids come from, its handshakes, a
// sample for `hookpipe send`), so that adding a provider is one new file and one line in the registry (index.ts).
// Pure: no framework, no I/O.
import type { SourceProvider } from '../../../shared/src/sources.ts';

/** Case-insensitive header lookup: a web `Headers` fits, and so does the ingress's view over Node's header object. */
export interface HeaderReader {
  get(name: string): string | null;
}

/** What a verifier sees of a request: nothing framework-specific, so each verifier is a pure function. */
export interface WebhookRequest {
  method: string;
  /** The URL as the provider called it: the source's public URL where one is configured (see ingest.ts). */
  url: URL;
  headers: HeaderReader;
  body: Buffer;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/** A delivery's identity as the provider states it; absent fields are filled in by the ingress. */
export interface Described {
  deliveryId?: string | undefined;
  eventType?: string | undefined;
}

/** An answer the ingress gives itself, for a handshake, instead of publishing. */
export interface Reply {
  status: number;
  contentType: string;
  body: string;
  /**
   * A URL the ingress must GET, and see answer 2xx, before it gives this answer (SNS's SubscribeURL, which confirms a
   * subscription); the provider has checked its host. Fetched through the ingress's injected port, never redirected.
   */
  confirm?: URL | undefined;
}

/**
 * A certificate the ingress fetches for one request (SNS names its signing certificate in each message), decided by
 * the provider without I/O. The ingress (outbound.ts) fetches it through its injected port, checks its chain
 * against its trust store and passes its public key (SPKI, DER) to `verify` as the request's only key.
 */
export interface CertificateRequest {
  /** An https URL on the provider's own hosts, checked before anything is fetched. */
  url: URL;
  /** Host names the certificate must be issued to, any one of them. */
  names: readonly string[];
  /** Whether an intermediate the file lacks may be fetched from this "CA Issuers" URL of a certificate. */
  issuerUrl(url: URL): boolean;
}

/** Where a request's key comes from, for providers whose keys come with each request: fetch it, these, or refuse. */
export type KeyPlan = { fetch: CertificateRequest } | { keys: readonly Buffer[] } | { refused: string };

export interface SignInput {
  body: Buffer;
  /** The URL the ingress will bind the signature to (Twilio, `{url}` templates). */
  url: URL;
  /** Unix seconds. */
  now: number;
  /** The delivery id, for providers that send one in a header or sign it. */
  id: string;
  /** The event type, for providers that send it in a header. */
  eventType?: string | undefined;
  /** The content type the body will be sent with (Twilio signs form fields, not JSON). */
  contentType: string;
}

/** A realistic body for `hookpipe send`, with fresh ids so that each send is a new event. */
export interface Sample {
  body: Buffer;
  contentType: string;
  /** The event type the sample is, for providers that send it in a header (GitHub, Shopify). */
  eventType?: string | undefined;
  /** The delivery id to send it with, where the provider's ids have a shape of their own (else a UUID). */
  id?: string | undefined;
}

export interface Provider<O> extends SourceProvider<O> {
  /** The name sources give as `provider:`; the registry's key. */
  readonly name: string;
  verify(request: WebhookRequest, keys: readonly Buffer[], options: O, now: number): Verdict;
  /** Where the delivery id and event type come from. `payload` parses the body lazily: header-only providers never pay for it. */
  describe(request: WebhookRequest, payload: () => unknown): Described;
  /**
   * GET handshakes (Meta's hub.challenge, X's CRC), answered before and instead of any verification. One that
   * computes with a key must go through `signableChallenge` (handshake.ts).
   */
  handshake?(request: WebhookRequest, keys: readonly Buffer[], options: O): Reply | undefined;
  /**
   * The method `handshake` answers: GET (and HEAD) unless said otherwise. Microsoft Graph validates a notification URL
   * with a POST (`?validationToken=`): for POST, `handshake` is asked before the body is read, and a POST it does not
   * answer goes on to verification as any other.
   */
  readonly handshakeMethod?: 'GET' | 'POST';
  /**
   * For providers whose key comes with each request instead of from the sources file (SNS names a certificate in its
   * body): where this request's key is, decided without I/O and before anything is fetched. The ingress then calls
   * `verify` with that key in place of the source's. `local` is set only against the emulator, for a provider's local
   * stand-in of a key it cannot have (SNS's, for `hookpipe send`).
   */
  locateKeys?(request: WebhookRequest, keys: readonly Buffer[], options: O, now: number, local: boolean): KeyPlan;
  /**
   * Signed POSTs that are a challenge, not an event (Slack's url_verification, Zoom's endpoint.url_validation, Twitch's
   * webhook_callback_verification), checked after verification and never published. One that computes with a key
   * must go through `signableChallenge` (handshake.ts).
   */
  challenge?(payload: unknown, request: WebhookRequest, keys: readonly Buffer[], options: O): Reply | undefined;
  /**
   * Set when signatures cover the URL the provider called (Twilio; `{url}` templates): the ingress then needs to
   * know its public URL, this source's own (`publicUrl`) or HOOKPIPE_PUBLIC_URL, and never trusts X-Forwarded-Host.
   */
  urlSigning?(options: O): { publicUrl: string | undefined } | undefined;
  /**
   * The answer to a delivery once Pub/Sub confirmed its publish, where the provider asks for one of its own (Adyen's
   * `[accepted]`); else the ingress's `202 {"messageId","deliveryId"}`. Never given before the publish is confirmed.
   */
  readonly accepted?: Reply;
  /** The headers the provider would send with this body: the inverse of verify, for `hookpipe send` and tests. */
  sign(input: SignInput, secret: string, options: O): Record<string, string>;
  /**
   * For providers whose signature or signed time travels inside the body (Mailgun, Linear): the body as the provider
   * would send it now, made before `sign` (which then adds any headers). Absent for the rest, sent as they are.
   */
  seal?(input: SignInput, secret: string, options: O): Buffer;
  /** A sample delivery for `hookpipe send`; `eventType` picks one where the provider has several. */
  sample(now: number, eventType?: string): Sample;
}

/** Declares a provider module; the options type is inferred from its `options` schema. */
export function defineProvider<O>(provider: Provider<O>): Provider<O> {
  return provider;
}

export const OK: Verdict = Object.freeze({ ok: true });
export const fail = (reason: string): Verdict => ({ ok: false, reason });
