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
}

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
  /** Signed POSTs that are a challenge, not an event (Slack's url_verification); checked after verification. */
  challenge?(payload: unknown): Reply | undefined;
  /**
   * Set when signatures cover the URL the provider called (Twilio; `{url}` templates): the ingress then needs to
   * know its public URL, this source's own (`publicUrl`) or HOOKPIPE_PUBLIC_URL, and never trusts X-Forwarded-Host.
   */
  urlSigning?(options: O): { publicUrl: string | undefined } | undefined;
  /** The headers the provider would send with this body: the inverse of verify, for `hookpipe send` and tests. */
  sign(input: SignInput, secret: string, options: O): Record<string, string>;
  /** A sample delivery for `hookpipe send`; `eventType` picks one where the provider has several. */
  sample(now: number, eventType?: string): Sample;
}

/** Declares a provider module; the options type is inferred from its `options` schema. */
export function defineProvider<O>(provider: Provider<O>): Provider<O> {
  return provider;
}

export const OK: Verdict = Object.freeze({ ok: true });
export const fail = (reason: string): Verdict => ({ ok: false, reason });
