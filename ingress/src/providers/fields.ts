import type { HeaderReader } from './types.ts';

/** A string (or number) at a path of a parsed payload, or undefined; tolerant of any shape a sender may post. */
export function textAt(payload: unknown, ...path: string[]): string | undefined {
  let node = payload;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node === 'string') return node === '' ? undefined : node;
  return typeof node === 'number' ? String(node) : undefined;
}

/** Form fields in order, for providers that post `application/x-www-form-urlencoded`. */
export function formFields(body: Buffer): Array<[string, string]> {
  return [...new URLSearchParams(body.toString('utf8'))];
}

export function isForm(headers: HeaderReader): boolean {
  return (headers.get('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

/**
 * A body parsed as JSON, or undefined when it is not JSON: for the few providers that must read their body to verify
 * it (Mailgun's signature, Linear's signed time) or to sign it; everything else is parsed once, in ingest.ts.
 */
export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    // Not JSON: the caller refuses or passes the body on as it is.
    return undefined;
  }
}

/** A JSON object (not an array, not null), or undefined. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
