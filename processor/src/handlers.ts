// The handler API. A handler says which events it takes (source or provider, and event type globs), the zod
// schema of their payload, and what to do; the processor finds the first handler that matches, in the order
// given, parses the payload with its schema and runs it.
import type { Firestore } from '@google-cloud/firestore';
import type { z } from 'zod';
import type { MessageAttributes } from '../../shared/src/contract.ts';
import { globMatches } from '../../shared/src/glob.ts';
import type { Logger } from '../../shared/src/logger.ts';

export interface WebhookEvent<T> {
  payload: T;
  /** The body exactly as the provider sent it. */
  raw: Buffer;
  attributes: MessageAttributes;
  deliveryId: string;
  source: string;
  provider: string;
  eventType: string | undefined;
  messageId: string;
  publishTime: string;
  orderingKey: string | undefined;
}

export interface HandlerContext {
  logger: Logger;
  /** 1 for the first delivery of this event. */
  attempt: number;
  /** When the handler's time is up: after this the delivery counts as failed and is retried. */
  deadline: Date;
  /** Aborted at the deadline: pass it to fetch and other cancellable work. */
  signal: AbortSignal;
}

export interface Handler<S extends z.ZodType = z.ZodType> {
  /** Shown in logs, the ledger and dead-letter attributes. */
  name: string;
  source?: string | undefined;
  provider?: string | undefined;
  /** Exact names or globs (`payment_intent.*`); absent matches every type, including none. */
  eventTypes?: readonly string[] | undefined;
  schema: S;
  /** The resource the event is about (a payment id), kept in the ledger so events can be listed by it. */
  resourceKey?: ((payload: z.output<S>) => string | undefined) | undefined;
  handle(event: WebhookEvent<z.output<S>>, context: HandlerContext): Promise<void> | void;
}

/** Declares a handler with its payload type inferred from its schema. */
export function defineHandler<S extends z.ZodType>(handler: Handler<S>): Handler {
  return handler as unknown as Handler;
}

/** What a handlers module receives to build its handlers from. */
export interface HandlerServices {
  firestore: Firestore;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

/** A handlers module's default export: the handlers, or a function of the services that returns them. */
export type HandlersExport = readonly Handler[] | ((services: HandlerServices) => readonly Handler[] | Promise<readonly Handler[]>);

export function handlerMatches(handler: Handler, attributes: Pick<MessageAttributes, 'source' | 'provider' | 'eventType'>): boolean {
  if (handler.source !== undefined && handler.source !== attributes.source) return false;
  if (handler.provider !== undefined && handler.provider !== attributes.provider) return false;
  if (handler.eventTypes === undefined) return true;
  const type = attributes.eventType;
  return type !== undefined && handler.eventTypes.some((glob) => globMatches(glob, type));
}

export function findHandler(
  handlers: readonly Handler[],
  attributes: Pick<MessageAttributes, 'source' | 'provider' | 'eventType'>,
): Handler | undefined {
  return handlers.find((handler) => handlerMatches(handler, attributes));
}

/** Loads the module named by HOOKPIPE_HANDLERS and checks its shape, so that a wrong export fails at start-up. */
export async function loadHandlers(specifier: string, services: HandlerServices): Promise<readonly Handler[]> {
  const module = (await import(specifier)) as { default?: HandlersExport; handlers?: HandlersExport };
  const exported = module.default ?? module.handlers;
  if (exported === undefined) throw new Error(`${specifier} has no default export (an array of handlers, or a function returning one)`);
  const handlers = typeof exported === 'function' ? await exported(services) : exported;
  if (!Array.isArray(handlers)) throw new Error(`${specifier} did not give an array of handlers`);
  const names = new Set<string>();
  handlers.forEach((handler: Handler, index) => {
    if (
      !handler ||
      typeof handler.name !== 'string' ||
      typeof handler.handle !== 'function' ||
      typeof handler.schema?.safeParse !== 'function'
    ) {
      throw new Error(`${specifier}: handler #${index} needs a name, a zod schema and a handle function`);
    }
    if (names.has(handler.name)) throw new Error(`${specifier}: two handlers are named "${handler.name}"`);
    names.add(handler.name);
  });
  return handlers;
}
