// The ingress's decisions, free of I/O: which source a request is for, whether it is genuine, whether it is a
// handshake, and what message it becomes. The HTTP layer (app.ts) reads the body, calls these, and publishes.
import { randomUUID } from 'node:crypto';
import { clampAttribute, normaliseId, toPubSubAttributes, type MessageAttributes } from '../../shared/src/contract.ts';
import { HttpError } from '../../shared/src/errors.ts';
import { parsePointer, pointerText } from '../../shared/src/json-pointer.ts';
import type { MetadataRule, Source } from '../../shared/src/sources.ts';
import { providerFor } from './providers/index.ts';
import type { Provider, Reply, WebhookRequest } from './providers/types.ts';
import type { OutgoingMessage } from './publisher.ts';

interface PreparedRule {
  header?: string | undefined;
  pointer?: string[] | undefined;
}

export interface PreparedSource {
  source: Source;
  provider: Provider;
  /** HMAC keys derived once at start-up, in the order the secrets were listed. */
  keys: Buffer[];
  orderingKey?: string[] | undefined;
  deliveryId?: PreparedRule | undefined;
  eventType?: PreparedRule | undefined;
}

const prepareRule = (rule: MetadataRule | undefined): PreparedRule | undefined =>
  rule && { header: rule.header, pointer: rule.pointer === undefined ? undefined : parsePointer(rule.pointer) };

export function prepareSources(sources: readonly Source[]): Map<string, PreparedSource> {
  return new Map(
    sources.map((source) => {
      const provider = providerFor(source.provider) as Provider;
      const keys = source.secrets.map((secret) => provider.key?.(secret) ?? Buffer.from(secret, 'utf8'));
      const prepared: PreparedSource = {
        source,
        provider,
        keys,
        orderingKey: source.orderingKey === undefined ? undefined : parsePointer(source.orderingKey),
        deliveryId: prepareRule(source.deliveryId),
        eventType: prepareRule(source.eventType),
      };
      return [source.name, prepared];
    }),
  );
}

/** A GET handshake (Meta, X), or undefined when the provider has none or this request is not one. */
export function handshake(prepared: PreparedSource, request: WebhookRequest): Reply | undefined {
  return prepared.provider.handshake?.(request, prepared.keys, prepared.source.options as never);
}

export type IngestOutcome =
  | { kind: 'reply'; reply: Reply }
  | { kind: 'publish'; message: OutgoingMessage; deliveryId: string; eventType: string | undefined };

export interface IngestContext {
  /** Unix seconds, for timestamp tolerance. */
  now: number;
  receivedAt: Date;
  newId?: () => string;
}

function applyRule(rule: PreparedRule | undefined, request: WebhookRequest, payload: () => unknown): string | undefined {
  if (!rule) return undefined;
  if (rule.header !== undefined) return request.headers.get(rule.header) ?? undefined;
  return rule.pointer && pointerText(payload(), rule.pointer);
}

/** Verifies a POST and turns it into a message, or a challenge answer; throws HttpError (401, 400) for bad input. */
export function ingest(prepared: PreparedSource, request: WebhookRequest, context: IngestContext): IngestOutcome {
  const { source, provider } = prepared;
  const verdict = provider.verify(request, prepared.keys, source.options as never, context.now);
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

  const reply = provider.challenge?.(payload());
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
