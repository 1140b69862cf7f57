// `hookpipe send <source>`: signs a sample (or given) payload the way the source's provider does and posts it.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signedUrl, sourcePublicUrl } from '../../ingress/src/ingest.ts';
import { bindProvider, type Source } from '../../ingress/src/providers/index.ts';
import { UsageError } from './usage.ts';

export interface SendOptions {
  source: Source;
  ingressUrl: string;
  file?: string | undefined;
  eventType?: string | undefined;
  contentType?: string | undefined;
  /** Sign with this secret instead of the source's first one (to see a rejection, say). */
  secret?: string | undefined;
  headers?: Record<string, string>;
  /** Send the same event as the last `send` to this source, signed afresh, as a provider's retry would. */
  resend?: boolean | undefined;
  /** Where the last payload per source is kept for --resend. */
  stateDir?: string | undefined;
}

interface LastSent {
  body: string;
  contentType: string;
  eventType?: string | undefined;
  id: string;
}

const lastSentPath = (dir: string, source: string) => join(dir, `last-sent-${source}.json`);

function loadLastSent(dir: string, source: string): LastSent {
  try {
    return JSON.parse(readFileSync(lastSentPath(dir, source), 'utf8')) as LastSent;
  } catch {
    throw new UsageError(`nothing was sent to "${source}" from here yet; --resend repeats the last send`);
  }
}

export interface Prepared {
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
}

export function prepareSend(options: SendOptions, now = Math.floor(Date.now() / 1000)): Prepared & { last: LastSent } {
  const { source } = options;
  const provider = bindProvider(source);
  let body: Buffer;
  let contentType: string;
  let eventType: string | undefined;
  let id: string;
  if (options.resend) {
    const last = loadLastSent(options.stateDir ?? '.hookpipe', source.name);
    ({ contentType, eventType, id } = last);
    body = Buffer.from(last.body, 'base64');
  } else {
    const sample = provider.sample(now, options.eventType);
    body = options.file ? readFileSync(options.file) : sample.body;
    contentType = options.contentType ?? (options.file ? 'application/json' : sample.contentType);
    eventType = options.eventType ?? sample.eventType;
    id = sample.id ?? randomUUID();
  }
  const url = new URL(`/webhooks/${source.name}`, options.ingressUrl);
  // Signed over the URL the ingress will bind to: the source's own public URL if it has one, else the one posted to.
  const signedOver = signedUrl(sourcePublicUrl(source, provider, undefined), url);
  const input = { body, url: signedOver, now, id, eventType, contentType };
  // Mailgun signs inside the body: sealed afresh on every send, --resend included, so its timestamp is fresh.
  body = provider.seal(input, options.secret);
  const signed = provider.sign({ ...input, body }, options.secret);
  const headers: Record<string, string> = { 'content-type': contentType, 'user-agent': 'hookpipe-cli', ...signed, ...options.headers };
  // A generic HMAC source may take its delivery id from a header; give it one.
  if (source.deliveryId?.header && headers[source.deliveryId.header] === undefined) headers[source.deliveryId.header] = id;
  return { url, headers, body, last: { body: body.toString('base64'), contentType, eventType, id } };
}

export async function send(options: SendOptions): Promise<{ status: number; text: string }> {
  const { url, headers, body, last } = prepareSend(options);
  const response = await fetch(url, { method: 'POST', headers, body: new Uint8Array(body) });
  if (options.stateDir !== undefined) {
    mkdirSync(options.stateDir, { recursive: true });
    writeFileSync(lastSentPath(options.stateDir, options.source.name), JSON.stringify(last));
  }
  return { status: response.status, text: await response.text() };
}
