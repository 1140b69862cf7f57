// `hookpipe send <source>`: signs a sample (or given) payload the way the source's provider does and posts it.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Source } from '../../shared/src/sources.ts';
import { providerFor } from '../../ingress/src/providers/index.ts';
import type { Provider } from '../../ingress/src/providers/types.ts';
import { sampleFor } from './samples.ts';

export interface SendOptions {
  source: Source;
  ingressUrl: string;
  file?: string | undefined;
  eventType?: string | undefined;
  contentType?: string | undefined;
  /** Sign with this secret instead of the source's first one (to see a rejection, say). */
  secret?: string | undefined;
  headers?: Record<string, string>;
}

export interface Prepared {
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
}

export function prepareSend(options: SendOptions, now = Math.floor(Date.now() / 1000)): Prepared {
  const { source } = options;
  const sample = sampleFor(source.provider, now, options.eventType);
  const body = options.file ? readFileSync(options.file) : sample.body;
  const contentType = options.contentType ?? (options.file ? 'application/json' : sample.contentType);
  const url = new URL(`/webhooks/${source.name}`, options.ingressUrl);
  const provider = providerFor(source.provider) as Provider;
  const id = source.provider === 'standard-webhooks' ? `msg_${randomUUID()}` : randomUUID();
  const signed = provider.sign(
    { body, url, now, id, eventType: options.eventType ?? sample.eventType, contentType },
    options.secret ?? source.secrets[0]!,
    source.options as never,
  );
  const headers: Record<string, string> = { 'content-type': contentType, 'user-agent': 'hookpipe-cli', ...signed, ...options.headers };
  // A generic HMAC source may take its delivery id from a header; give it one.
  if (source.deliveryId?.header && headers[source.deliveryId.header] === undefined) headers[source.deliveryId.header] = id;
  return { url, headers, body };
}

export async function send(options: SendOptions): Promise<{ status: number; text: string }> {
  const { url, headers, body } = prepareSend(options);
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}
