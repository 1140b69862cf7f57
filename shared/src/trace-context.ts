// A webhook's trace context, pure: read from the headers Cloud Run's front end gives the ingress, written into the
// message attribute that carries it to the processor, and read back there. Only the parsed hex fields ever leave
// this module, re-formatted: a header's own bytes are never reflected into an attribute or a log line, so a stranger
// cannot use them to inject text, and every value is bounded (55 characters).
//
// Cloud Run populates the W3C `traceparent` of every request it forwards (https://cloud.google.com/run/docs/trace) and
// samples at most 0.1 requests a second per instance, forced ones at a capped rate (same page): the sampled flag the
// container sees is Cloud Run's decision. Its front end keeps the trace id of a `traceparent` the caller sent and
// names its own request span as the parent (observed, not in Google's pages: https://last9.io/blog/gcp-cloud-run-trace-
// propagation/). The older `X-Cloud-Trace-Context` is read only where no valid `traceparent` came (Google's advice,
// https://cloud.google.com/trace/docs/trace-context); off Cloud Run, with neither, a trace starts here.
import { randomBytes, randomFillSync } from 'node:crypto';

/** One point in a trace: the trace, the span the next one is a child of (when known), and whether it is sampled. */
export interface TraceContext {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero; absent when the trace came without a span (a fresh trace). */
  spanId?: string | undefined;
  sampled: boolean;
}

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** A traceparent of version 00 is exactly this long; later versions may append fields after a dash. */
const TRACEPARENT_LENGTH = 55;
/** Longer headers are refused before any pattern runs on them: a future version's extra fields are not read anyway. */
const MAX_HEADER_LENGTH = 256;

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * A W3C traceparent (https://www.w3.org/TR/trace-context/#traceparent-header), strictly: lowercase hex, version 00
 * exactly 55 characters, a later version (never ff) read by its first four fields when a dash follows them, ids not
 * all zero. Anything else is undefined, as is a repeated header (Node joins repeats with a comma, which no valid
 * value contains).
 */
export function parseTraceparent(value: string | null | undefined): TraceContext | undefined {
  if (!value || value.length < TRACEPARENT_LENGTH || value.length > MAX_HEADER_LENGTH) return undefined;
  if (value.length > TRACEPARENT_LENGTH && (value.startsWith('00') || value[TRACEPARENT_LENGTH] !== '-')) return undefined;
  const match = TRACEPARENT.exec(value.length === TRACEPARENT_LENGTH ? value : value.slice(0, TRACEPARENT_LENGTH));
  if (!match) return undefined;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  if (version === 'ff' || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

const CLOUD_TRACE_CONTEXT = /^([0-9a-fA-F]{32})(?:\/([0-9]{1,20}))?(?:;o=([0-9]{1,3}))?$/;
const MAX_SPAN = 2n ** 64n - 1n;

/**
 * Google's `X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=OPTIONS` (https://cloud.google.com/trace/docs/trace-context,
 * "Legacy HTTP header"): a 32-hex trace id, a decimal unsigned 64-bit span id (written here as the 16 hex digits the
 * W3C form and Cloud Logging's spanId use), and `o=1` when sampled. A span id of 0 or past 64 bits is no span.
 */
export function parseCloudTraceContext(value: string | null | undefined): TraceContext | undefined {
  if (!value || value.length > MAX_HEADER_LENGTH) return undefined;
  const match = CLOUD_TRACE_CONTEXT.exec(value);
  if (!match) return undefined;
  const traceId = match[1]!.toLowerCase();
  if (traceId === ZERO_TRACE) return undefined;
  const span = match[2] === undefined ? 0n : BigInt(match[2]);
  const spanId = span > 0n && span <= MAX_SPAN ? span.toString(16).padStart(16, '0') : undefined;
  return { traceId, spanId, sampled: match[3] !== undefined && (Number(match[3]) & 1) === 1 };
}

export const randomTraceId = (): string => randomBytes(16).toString('hex');

/** Random bytes drawn 4 KB at a time: one crypto.randomBytes(8) per request cost the ingress about 3% of its CPU. */
const idPool = Buffer.alloc(4096);
let idOffset = idPool.length;

/** A new span id: 16 hex digits from the crypto pool, never all zero (which W3C trace context calls invalid). */
export function nextSpanId(): string {
  for (;;) {
    if (idOffset === idPool.length) {
      randomFillSync(idPool);
      idOffset = 0;
    }
    const id = idPool.toString('hex', idOffset, idOffset + 8);
    idOffset += 8;
    if (id !== ZERO_SPAN) return id;
  }
}

/**
 * The trace a request belongs to: its `traceparent`, else its `X-Cloud-Trace-Context`, else a new trace (not
 * sampled: nothing upstream asked for it).
 */
export function incomingTrace(headers: { get(name: string): string | null }, newTraceId = randomTraceId): TraceContext {
  return (
    parseTraceparent(headers.get('traceparent')) ??
    parseCloudTraceContext(headers.get('x-cloud-trace-context')) ?? { traceId: newTraceId(), sampled: false }
  );
}

/**
 * The W3C form of a context, for the message attribute. The form needs a parent span: a context without one (a
 * fresh trace, or an X-Cloud-Trace-Context without a span) is given a new random id, which names no recorded span.
 */
export function formatTraceparent(trace: TraceContext, newSpanId = nextSpanId): string {
  return `00-${trace.traceId}-${trace.spanId ?? newSpanId()}-${trace.sampled ? '01' : '00'}`;
}
