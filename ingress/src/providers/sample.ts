// What the providers' samples for `hookpipe send` share: fresh random ids, and JSON bodies.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Sample } from './types.ts';

/** Letters and digits only, so that it fits in any id a provider uses. */
export const randomToken = (length = 14): string => randomBytes(length).toString('base64url').replace(/[-_]/g, 'x').slice(0, length);

export const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex');

export function jsonSample(value: unknown, eventType?: string): Sample {
  return { body: Buffer.from(JSON.stringify(value)), contentType: 'application/json', eventType };
}

/** For the generic schemes (hmac, token), which have no payload of their own: an event with an id and a type. */
export function genericSample(now: number, eventType = 'example.created'): Sample {
  return jsonSample({ id: randomUUID(), type: eventType, created: new Date(now * 1000).toISOString(), data: { value: 42 } });
}
