import type { ProviderName, ProviderOptions } from '../../../shared/src/sources.ts';

/** Case-insensitive header lookup: a web `Headers` fits, and so does the ingress's view over Node's header object. */
export interface HeaderReader {
  get(name: string): string | null;
}

/** What a verifier sees of a request: nothing framework-specific, so each verifier is a pure function. */
export interface WebhookRequest {
  method: string;
  /** The URL as the provider called it (behind a proxy, the public one). */
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

export interface Provider<P extends ProviderName = ProviderName> {
  readonly name: P;
  /** How a configured secret becomes the HMAC key (Standard Webhooks keys are base64 behind `whsec_`). */
  key?(secret: string): Buffer;
  verify(request: WebhookRequest, keys: readonly Buffer[], options: ProviderOptions<P>, now: number): Verdict;
  /** `payload` parses the body lazily: providers whose ids are in headers never pay for JSON parsing. */
  describe(request: WebhookRequest, payload: () => unknown): Described;
  /** GET handshakes (Meta's hub.challenge, X's CRC), answered before and instead of any verification. */
  handshake?(request: WebhookRequest, keys: readonly Buffer[], options: ProviderOptions<P>): Reply | undefined;
  /** Signed POSTs that are a challenge, not an event (Slack's url_verification); checked after verification. */
  challenge?(payload: unknown): Reply | undefined;
  /** The headers the provider would send with this body: the inverse of verify, for `hookpipe send` and tests. */
  sign(input: SignInput, secret: string, options: ProviderOptions<P>): Record<string, string>;
}

export const OK: Verdict = Object.freeze({ ok: true });
export const fail = (reason: string): Verdict => ({ ok: false, reason });
