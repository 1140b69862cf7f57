// The ingress's decisions, free of I/O: which source a request is for, whether it is genuine, whether it is a
// handshake, and what message it becomes. The HTTP layer (app.ts) reads the body, calls these, and publishes.
import { randomUUID } from 'node:crypto';
import { clampAttribute, type MessageAttributes, normaliseId, toPubSubAttributes } from '../../shared/src/contract.ts';
import { ConfigError, HttpError } from '../../shared/src/errors.ts';
import { parsePointer, pointerText } from '../../shared/src/json-pointer.ts';
import type { MetadataRule } from '../../shared/src/sources.ts';
import { type BoundProvider, bindProvider, type Source } from './providers/index.ts';
import type { CertificateRequest, Reply, WebhookRequest } from './providers/types.ts';
import type { OutgoingMessage } from './publisher.ts';

interface PreparedRule {
  header?: string | undefined;
  pointer?: string[] | undefined;
}

export interface PreparedSource {
  source: Source;
  /** The source's provider with its options and keys (derived once, at start-up) bound. */
  provider: BoundProvider;
  /** The URL providers call for this source, where one is configured; see `signedUrl`. */
  publicUrl: URL | undefined;
  orderingKey?: string[] | undefined;
  deliveryId?: PreparedRule | undefined;
  eventType?: PreparedRule | undefined;
}

/** Where the URL that signatures bind to comes from. */
export interface UrlPolicy {
  /** HOOKPIPE_PUBLIC_URL: the origin (and base path) providers call; each source is at /webhooks/<name> under it. */
  publicUrl?: URL | undefined;
  /**
   * Whether a URL-signing source may go without a public URL and bind to the request's own URL (Host header, and
   * the scheme from X-Forwarded-Proto): only against the emulator, i.e. on a developer's machine. In production
   * the Host a request arrives with is not necessarily the URL the provider was given (a custom domain, a load
   * balancer, the service's two run.app names), and X-Forwarded-Host, which Cloud Run's front end does not set, is
   * whatever the client wrote: so a URL-signing source without a public URL stops the start-up instead. The same
   * test, a developer's machine or not, admits a public-key source's `signingKey` (see prepareSources), and a
   * provider's local stand-in for a key it cannot have there (SNS's, see app.ts).
   */
  allowRequestUrl?: boolean | undefined;
}

const prepareRule = (rule: MetadataRule | undefined): PreparedRule | undefined =>
  rule && { header: rule.header, pointer: rule.pointer === undefined ? undefined : parsePointer(rule.pointer) };

/** The URL providers call for a source: its own (a provider option), else under HOOKPIPE_PUBLIC_URL, else unknown. */
export function sourcePublicUrl(source: Source, provider: BoundProvider, base: URL | undefined): URL | undefined {
  const own = provider.urlSigning?.publicUrl;
  if (own !== undefined) return new URL(own);
  return base && new URL(`${base.pathname.replace(/\/$/, '')}/webhooks/${source.name}`, base.origin);
}

/** Prepares every source once, at start-up; a URL-signing source without a public URL where one is needed stops it. */
export function prepareSources(sources: readonly Source[], urls: UrlPolicy = {}): Map<string, PreparedSource> {
  const problems: string[] = [];
  const prepared = sources.map((source, index): [string, PreparedSource] => {
    const provider = bindProvider(source);
    const publicUrl = sourcePublicUrl(source, provider, urls.publicUrl);
    if (provider.urlSigning && publicUrl === undefined && !urls.allowRequestUrl) {
      problems.push(
        `sources[${index}].options.publicUrl: source "${source.name}" (${source.provider}) is signed over the URL its provider calls; ` +
          'set HOOKPIPE_PUBLIC_URL, or this option to that URL (X-Forwarded-Host is not trusted)',
      );
    }
    // A private key is for `hookpipe send` on a developer's machine (the local sample sources): the ingress only verifies,
    // and a deployed copy of a sample source would accept whatever anyone holding that key signs.
    if (source.signingKey !== undefined && !urls.allowRequestUrl) {
      const message = `source "${source.name}" holds a private key, which the ingress refuses outside the emulator`;
      problems.push(`sources[${index}].signingKey: ${message}`);
    }
    return [
      source.name,
      {
        source,
        provider,
        publicUrl,
        orderingKey: source.orderingKey === undefined ? undefined : parsePointer(source.orderingKey),
        deliveryId: prepareRule(source.deliveryId),
        eventType: prepareRule(source.eventType),
      },
    ];
  });
  if (problems.length > 0) throw new ConfigError(`sources are not usable here:\n${problems.map((line) => `  - ${line}`).join('\n')}`);
  return new Map(prepared);
}

/**
 * The URL a provider signed: the source's public URL, keeping the request's query when it has none of its own
 * (Twilio signs the query too), or, where none is configured (local use), the URL the request arrived at.
 */
export function signedUrl(publicUrl: URL | undefined, requestUrl: URL): URL {
  if (publicUrl === undefined) return requestUrl;
  const url = new URL(publicUrl);
  if (url.search === '') url.search = requestUrl.search;
  return url;
}

/** A handshake (Meta's and X's GETs, Microsoft Graph's POST), or undefined when the provider has none or this request is not one. */
export function handshake(prepared: PreparedSource, request: WebhookRequest): Reply | undefined {
  return prepared.provider.handshake?.(request);
}

/**
 * Where a request's key comes from, for providers whose keys come with each request (SNS): a certificate to fetch, or
 * the keys themselves; undefined for the rest, which verify with the source's keys. A request naming a key its
 * provider refuses gets a 401 here, before anything is fetched. `local`: against the emulator only (see UrlPolicy).
 */
export function planKeys(
  prepared: PreparedSource,
  request: WebhookRequest,
  now: number,
  local: boolean,
): { fetch: CertificateRequest } | { keys: readonly Buffer[] } | undefined {
  const plan = prepared.provider.locateKeys?.(request, now, local);
  if (plan !== undefined && 'refused' in plan) throw new HttpError('unauthorized', `signature verification failed: ${plan.refused}`);
  return plan;
}

export type IngestOutcome =
  | { kind: 'reply'; reply: Reply }
  | { kind: 'publish'; message: OutgoingMessage; deliveryId: string; eventType: string | undefined };

export interface IngestContext {
  /** Unix seconds, for timestamp tolerance. */
  now: number;
  receivedAt: Date;
  newId?: () => string;
  /** The request's own keys, where its provider locates them (planKeys); the source's keys otherwise. */
  keys?: readonly Buffer[] | undefined;
}

function applyRule(rule: PreparedRule | undefined, request: WebhookRequest, payload: () => unknown): string | undefined {
  if (!rule) return undefined;
  if (rule.header !== undefined) return request.headers.get(rule.header) ?? undefined;
  return rule.pointer && pointerText(payload(), rule.pointer);
}

/** Verifies a POST and turns it into a message, or a challenge answer; throws HttpError (401, 400) for bad input. */
export function ingest(prepared: PreparedSource, request: WebhookRequest, context: IngestContext): IngestOutcome {
  const { source, provider } = prepared;
  // A provider that locates its keys per request has none in the sources file worth verifying with.
  if (provider.locateKeys && context.keys === undefined) throw new Error(`${provider.name} verifies with the keys planKeys located`);
  const verdict = provider.verify(request, context.now, context.keys);
  if (!verdict.ok) throw new HttpError('unauthorized', `signature verification failed: ${verdict.reason}`);

  // Parsed at most once, and only after the signature held: unauthenticated bodies are never parsed.
  let parsed: { value: unknown } | undefined;
  const payload = (): unknown => {
    if (parsed === undefined) {
      try {
        parsed = { value: JSON.parse(request.body.toString('utf8')) };
      } catch {
        parsed = { value: undefined };
      }
    }
    return parsed.value;
  };
  if (source.json && payload() === undefined) throw new HttpError('invalid_json', 'this source requires a JSON body');

  const reply = provider.challenge?.(payload(), request);
  if (reply) return { kind: 'reply', reply };

  const described = provider.describe(request, payload);
  const rawId = applyRule(prepared.deliveryId, request, payload) ?? described.deliveryId;
  const deliveryId = rawId ? normaliseId(rawId) : (context.newId ?? randomUUID)();
  const rawType = applyRule(prepared.eventType, request, payload) ?? described.eventType;
  const eventType = rawType === undefined ? undefined : clampAttribute(rawType);
  const contentType = request.headers.get('content-type');

  const attributes: MessageAttributes = {
    source: source.name,
    provider: source.provider,
    deliveryId,
    eventType,
    receivedAt: context.receivedAt.toISOString(),
    contentType: contentType === null ? undefined : clampAttribute(contentType),
  };
  const orderingKey = prepared.orderingKey && pointerText(payload(), prepared.orderingKey);
  return {
    kind: 'publish',
    deliveryId,
    eventType,
    message: { data: request.body, attributes: toPubSubAttributes(attributes), orderingKey: orderingKey && clampAttribute(orderingKey) },
  };
}
