// The ingress's HTTP edge: `POST /webhooks/<source>` is read within its limit, checked by ingest(), published,
// and answered 202 only once Pub/Sub has confirmed. Every error is a JSON body whose status comes from its code.

import { rootCertificates } from 'node:tls';
import type { HttpBindings } from '@hono/node-server';
import type { Tracer } from '@opentelemetry/api';
import { type Context, Hono } from 'hono';
import { buildTraceAttribute } from '../../shared/src/contract.ts';
import { type ErrorCode, HttpError } from '../../shared/src/errors.ts';
import { errorHandler, notFoundHandler } from '../../shared/src/http.ts';
import { type Logger, traceLogFields } from '../../shared/src/logger.ts';
import type { WebhookLine, WebhookOutcome } from '../../shared/src/metric-lines.ts';
import { incomingTrace, type TraceContext } from '../../shared/src/trace-context.ts';
import { endSpan, runInSpan, SpanKind, startSpan } from '../../shared/src/tracing.ts';
import { readIncoming, readRequest } from './body.ts';
import { type BodyBudget, type BodyHold, UNBOUNDED_HOLD } from './body-budget.ts';
import { handshake, ingest, type PreparedSource, planKeys, prepareSources, signedUrl } from './ingest.ts';
import { createOutbound, type Outbound } from './outbound.ts';
import type { Source } from './providers/index.ts';
import type { HeaderReader, Reply, WebhookRequest } from './providers/types.ts';
import type { BoundedPublisher } from './publisher.ts';

export interface IngressDeps {
  sources: readonly Source[];
  publisher: BoundedPublisher;
  logger: Logger;
  /** Whether Pub/Sub is reachable, for /readyz. */
  ready: () => Promise<boolean>;
  isShuttingDown?: () => boolean;
  /** The instance's budget of body bytes held at once (main.ts always gives one); without it, only each source's limit. */
  bodyBudget?: BodyBudget | undefined;
  /** HOOKPIPE_PUBLIC_URL: the origin providers call, for sources signed over their URL (Twilio, `{url}` templates). */
  publicUrl?: URL | undefined;
  /** Without a public URL, URL-signing sources bind to the request's own URL: only against the emulator (ingest.ts). */
  allowRequestUrl?: boolean | undefined;
  /** HOOKPIPE_TRUST_PROXY: take the scheme from X-Forwarded-Proto. */
  trustProxy?: boolean;
  projectId?: string | undefined;
  clock?: () => number;
  newId?: () => string;
  /**
   * The fetch port for what providers ask the ingress to fetch (SNS's signing certificates and subscription
   * confirmations, outbound.ts): the platform's fetch unless given (main.ts wires it; tests stub it).
   */
  fetch?: typeof fetch;
  /** The trust anchors those certificates must chain to, PEM: Node's root CAs unless given (tests give a local CA). */
  trustedCertificates?: readonly string[];
  /** HOOKPIPE_TRACING=cloud-trace: a span around each webhook request. Without it, no span, and no tracing code runs. */
  tracer?: Tracer | undefined;
}

type Env = {
  Bindings: Partial<HttpBindings>;
  Variables: { log: Record<string, unknown>; headers: HeaderReader; bodyHold: BodyHold; trace: TraceContext };
};

/**
 * What became of a request to /webhooks/<source>, for its log line (shared/src/metric-lines.ts): by its status, and for
 * a 503 by whether the provider is meant to retry it (shutting down, at capacity) or the publish failed.
 */
export function webhookOutcome(status: number, code: ErrorCode | undefined, messageId: unknown): WebhookOutcome {
  if (status >= 500) return code === 'shutting_down' || code === 'overloaded' ? 'deferred' : 'failed';
  if (status >= 400) return 'refused';
  return messageId === undefined ? 'handshake' : 'accepted';
}

const WEBHOOK_MESSAGES: Record<WebhookOutcome, string> = {
  accepted: 'webhook accepted',
  handshake: 'webhook answered',
  refused: 'webhook refused',
  deferred: 'webhook deferred',
  failed: 'webhook not accepted',
};

/** At most 200 characters of a stranger's text, for log lines and answers. */
const clip = (text: string): string => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

/** Node's header object read in place: building a web Headers for every request costs more than the lookups. */
function nodeHeaders(headers: Record<string, string | string[] | undefined>): HeaderReader {
  return {
    get(name) {
      const value = headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

/**
 * The URL the provider called, which Twilio and `{url}` templates sign: the source's public URL where one is set,
 * else (local use only, see ingest.ts) the request's own. Cloud Run's front end terminates TLS and passes the scheme
 * in X-Forwarded-Proto (https://cloud.google.com/run/docs/triggering/https-request), so the scheme is taken from it.
 * It adds no X-Forwarded-Host (the headers Google's serverless front end adds are X-Forwarded-For, -Proto and
 * X-Cloud-Trace-Context: https://cloud.google.com/functions/docs/reference/headers): that header is whatever the
 * client wrote, and is never read.
 */
function publicUrlOf(c: Context<Env>, deps: IngressDeps, prepared: PreparedSource): URL {
  const url = new URL(c.req.url);
  if (deps.trustProxy && prepared.publicUrl === undefined) {
    const proto = c.get('headers').get('x-forwarded-proto')?.split(',')[0]?.trim();
    if (proto === 'https' || proto === 'http') url.protocol = `${proto}:`;
  }
  return signedUrl(prepared.publicUrl, url);
}

function sendReply(reply: Reply): Response {
  // A 204 has no body, and the Fetch standard's Response refuses one, even empty (Discord's PING and events are answered so).
  const body = reply.status === 204 ? null : reply.body;
  return new Response(body, { status: reply.status, headers: { 'content-type': reply.contentType } });
}

export function createIngressApp(deps: IngressDeps): Hono<Env> {
  const sources = prepareSources(deps.sources, { publicUrl: deps.publicUrl, allowRequestUrl: deps.allowRequestUrl });
  const clock = deps.clock ?? Date.now;
  const outbound: Outbound = createOutbound({ fetch: deps.fetch ?? fetch, roots: deps.trustedCertificates ?? rootCertificates, clock });
  // Providers' local stand-ins for keys the ingress cannot have locally (SNS's) are trusted where URL-signing sources
  // may bind to the request URL: against the emulator only (main.ts), never in production.
  const local = deps.allowRequestUrl === true;

  /** The request's own keys, fetched where its provider locates them per request (SNS); else undefined. */
  async function requestKeys(prepared: PreparedSource, request: WebhookRequest, now: number): Promise<readonly Buffer[] | undefined> {
    const plan = planKeys(prepared, request, now, local);
    if (plan === undefined || 'keys' in plan) return plan?.keys;
    return [await outbound.certificateKey(plan.fetch)];
  }
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    const started = performance.now();
    const headers = c.env?.incoming ? nodeHeaders(c.env.incoming.headers) : c.req.raw.headers;
    const path = c.req.path;
    c.set('log', {});
    c.set('headers', headers);
    if (path === '/healthz' || path === '/readyz') {
      await next();
      if (deps.isShuttingDown?.()) c.res.headers.set('connection', 'close');
      return;
    }
    // Every request has a trace (a header parse); with tracing on, a webhook's span continues it, and the message
    // carries the span's context (set by the route below from c.get('trace')).
    const webhook = path.startsWith('/webhooks/');
    const incoming = incomingTrace(headers);
    const active =
      webhook && deps.tracer
        ? startSpan(deps.tracer, `${c.req.method} /webhooks/:source`, SpanKind.SERVER, incoming, {
            'http.request.method': c.req.method,
            'http.route': '/webhooks/:source',
          })
        : undefined;
    const trace = active?.trace ?? incoming;
    c.set('trace', trace);
    if (active) await runInSpan(active, next);
    else await next();
    // While shutting down, keep-alive clients are told to go, so the server can close.
    if (deps.isShuttingDown?.()) c.res.headers.set('connection', 'close');
    const status = c.res.status;
    const fields = c.get('log');
    // Query strings stay out of the logs: Meta's handshake carries its verify token there.
    const httpRequest = () => ({
      requestMethod: c.req.method,
      // A stranger's path is theirs to make long (up to Node's 16 KiB of headers): its log line keeps a bounded part.
      requestUrl: clip(path),
      status,
      latency: `${((performance.now() - started) / 1000).toFixed(6)}s`,
      userAgent: headers.get('user-agent') ?? undefined,
      requestSize: headers.get('content-length') ?? undefined,
    });
    const traceFields = () => traceLogFields(deps.projectId, trace);
    if (!webhook) {
      // Not a webhook URL: only refusals are said (a 404 for a stranger's probing).
      deps.logger.warn({ httpRequest: httpRequest(), ...traceFields(), ...fields }, 'request refused');
      return;
    }
    // One line for every request to /webhooks/<source>, whatever became of it (shared/src/metric-lines.ts): the
    // metrics count refusals, deferrals, failures and handshakes from these. `source` is in `fields` only for a
    // configured source, so a stranger's made-up names never become a metric label. An accepted webhook's line is at
    // debug: Cloud Run's request log already has one entry per request, with its URL, status and the same trace
    // (https://cloud.google.com/run/docs/logging), and the accepted count is taken from there (infra/monitoring.tf);
    // writing it again cost the ingress 10 to 20% more CPU per webhook (README, Performance).
    const outcome = webhookOutcome(status, fields.code as ErrorCode | undefined, fields.messageId);
    if (outcome === 'accepted' && !deps.logger.isLevelEnabled('debug')) return endRequestSpan();
    const line: WebhookLine = { event: 'webhook', outcome };
    // An answered webhook's line leaves the request's method, status, latency and sizes to Cloud Run's request log,
    // which has them under the same trace (https://cloud.google.com/run/docs/logging): a third of the line's cost.
    const answered = status < 300;
    const entry = answered
      ? { ...line, ...traceFields(), ...fields }
      : { ...line, httpRequest: httpRequest(), ...traceFields(), ...fields };
    if (outcome === 'failed') deps.logger.error(entry, WEBHOOK_MESSAGES[outcome]);
    else if (outcome === 'refused' || outcome === 'deferred') deps.logger.warn(entry, WEBHOOK_MESSAGES[outcome]);
    else if (outcome === 'accepted') deps.logger.debug(entry, WEBHOOK_MESSAGES[outcome]);
    else deps.logger.info(entry, WEBHOOK_MESSAGES[outcome]);
    endRequestSpan();
    function endRequestSpan(): void {
      if (!active) return;
      const spanAttributes = {
        'http.response.status_code': status,
        'hookpipe.outcome': outcome,
        'hookpipe.source': fields.source,
        'hookpipe.code': fields.code,
        'hookpipe.delivery_id': fields.deliveryId,
        'messaging.message.id': fields.messageId,
      };
      endSpan(active, spanAttributes, outcome === 'failed');
    }
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const ready = !deps.isShuttingDown?.() && (await deps.ready().catch(() => false));
    return c.json({ status: ready ? 'ready' : 'unavailable' }, ready ? 200 : 503);
  });

  // A webhook request holds its body's reservation in the budget from its first byte until it is answered: refused by
  // ingest, or its publish settled. Releasing then, not when the publish finally lands, keeps a body from being
  // counted twice for long: a publish that outlives its request (timed out) stays bounded by the publisher's own
  // bytes bound. A request the budget refused is told to close, so its sender is cut off instead of read on.
  app.use('/webhooks/:source', async (c, next) => {
    const hold = deps.bodyBudget?.hold() ?? UNBOUNDED_HOLD;
    c.set('bodyHold', hold);
    try {
      await next();
    } finally {
      hold.release();
    }
    if (hold.refused) c.res.headers.set('connection', 'close');
  });

  app.all('/webhooks/:source', async (c) => {
    const name = c.req.param('source');
    const prepared = sources.get(name);
    if (!prepared) throw new HttpError('not_found', `no source named "${clip(name)}"`);
    const log = c.get('log');
    log.source = name;
    const method = c.req.method;
    const getHandshake = prepared.provider.handshake !== undefined && prepared.provider.handshakeMethod === 'GET';
    const allow = getHandshake ? ['POST', 'GET'] : ['POST'];

    if (method === 'GET' || method === 'HEAD') {
      if (!getHandshake) throw new HttpError('method_not_allowed', 'webhooks are delivered with POST', { allow });
      const request: WebhookRequest = { method, url: publicUrlOf(c, deps, prepared), headers: c.get('headers'), body: Buffer.alloc(0) };
      const reply = handshake(prepared, request);
      if (!reply) throw new HttpError('bad_request', 'this GET is not a handshake this provider knows', { allow });
      log.handshake = true;
      return sendReply(reply);
    }
    if (method !== 'POST') throw new HttpError('method_not_allowed', 'webhooks are delivered with POST', { allow });
    if (deps.isShuttingDown?.())
      throw new HttpError('shutting_down', 'the ingress is shutting down; retry shortly', { retryAfterSeconds: 1 });
    if (prepared.provider.handshakeMethod === 'POST') {
      // Asked before the body is read: Microsoft Graph's validation is in the query, and answers within 10 s.
      const request: WebhookRequest = { method, url: publicUrlOf(c, deps, prepared), headers: c.get('headers'), body: Buffer.alloc(0) };
      const reply = handshake(prepared, request);
      if (reply) {
        log.handshake = true;
        return sendReply(reply);
      }
    }

    const limit = prepared.source.maxBodyBytes;
    const incoming = c.env?.incoming;
    const hold = c.get('bodyHold');
    const body = incoming ? await readIncoming(incoming, limit, hold) : await readRequest(c.req.raw, limit, hold);
    const receivedAt = new Date(clock());
    let url: URL | undefined;
    const request: WebhookRequest = {
      method,
      headers: c.get('headers'),
      body,
      // Only Twilio and URL-signing HMAC schemes need the URL; the rest never pay for building it.
      get url() {
        url ??= publicUrlOf(c, deps, prepared);
        return url;
      },
    };
    const now = Math.floor(receivedAt.getTime() / 1000);
    const keys = await requestKeys(prepared, request, now);
    const outcome = ingest(prepared, request, { now, receivedAt, newId: deps.newId, keys });
    if (outcome.kind === 'reply') {
      log.challenge = true;
      if (outcome.reply.confirm) {
        await outbound.confirm(outcome.reply.confirm);
        log.confirmed = true;
      }
      return sendReply(outcome.reply);
    }
    log.deliveryId = outcome.deliveryId;
    log.eventType = outcome.eventType;
    // The message continues the request's trace: the processor's lines and span join it (shared/src/contract.ts).
    Object.assign(outcome.message.attributes, buildTraceAttribute(c.get('trace')));
    const messageId = await deps.publisher.publish(outcome.message);
    log.messageId = messageId;
    // Only now that Pub/Sub confirmed: a provider that asks for an answer of its own (Adyen's `[accepted]`) gets it.
    const accepted = prepared.provider.accepted;
    if (accepted) return sendReply(accepted);
    return c.json({ messageId, deliveryId: outcome.deliveryId }, 202);
  });

  const notFound = notFoundHandler<Env>('no such route; webhooks go to POST /webhooks/<source>');
  // Said in the request's log line like every other refusal, so that a 404 under /webhooks/ is counted by its code.
  app.notFound((c) => {
    c.get('log').code = 'not_found';
    return notFound(c);
  });
  // The error goes into the request's log line, written by the first middleware.
  app.onError(errorHandler((entry, c) => Object.assign(c.get('log'), entry)));

  return app;
}
