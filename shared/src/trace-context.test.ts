// The trace headers read strictly and converted exactly; nothing but the parsed hex ever comes out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { traceLogFields } from './logger.ts';
import { formatTraceparent, incomingTrace, parseCloudTraceContext, parseTraceparent } from './trace-context.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const headers = (values: Record<string, string>) => ({ get: (name: string) => values[name] ?? null });

test('traceparent: version 00 exactly, lowercase hex, ids not zero, sampled from the flags', () => {
  assert.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-01`), { traceId: TRACE, spanId: SPAN, sampled: true });
  assert.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-00`), { traceId: TRACE, spanId: SPAN, sampled: false });
  assert.equal(parseTraceparent(`00-${TRACE}-${SPAN}-03`)?.sampled, true);
  for (const bad of [
    '',
    undefined,
    null,
    `00-${TRACE.toUpperCase()}-${SPAN}-01`,
    `00-${'0'.repeat(32)}-${SPAN}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `ff-${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-01-extra`,
    `00-${TRACE}-${SPAN}-1`,
    `00-${TRACE.slice(1)}-${SPAN}-01`,
    ` 00-${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-01, 00-${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-01\n{"severity":"CRITICAL"}`,
    `00_${TRACE}_${SPAN}_01`,
  ]) {
    assert.equal(parseTraceparent(bad), undefined, String(bad));
  }
});

test('traceparent: a later version is read by its first four fields only when a dash follows them; bounded', () => {
  assert.deepEqual(parseTraceparent(`01-${TRACE}-${SPAN}-01-future`), { traceId: TRACE, spanId: SPAN, sampled: true });
  assert.equal(parseTraceparent(`01-${TRACE}-${SPAN}-01future`), undefined);
  assert.equal(parseTraceparent(`01-${TRACE}-${SPAN}-01-${'x'.repeat(300)}`), undefined);
});

test('X-Cloud-Trace-Context: TRACE/SPAN(decimal);o=N converted to the W3C ids', () => {
  assert.deepEqual(parseCloudTraceContext('105445aa7843bc8bf206b12000100000/1;o=1'), {
    traceId: '105445aa7843bc8bf206b12000100000',
    spanId: '0000000000000001',
    sampled: true,
  });
  assert.deepEqual(parseCloudTraceContext(`${TRACE.toUpperCase()}/18446744073709551615;o=0`), {
    traceId: TRACE,
    spanId: 'ffffffffffffffff',
    sampled: false,
  });
  assert.deepEqual(parseCloudTraceContext(`${TRACE}/12345`), { traceId: TRACE, spanId: '0000000000003039', sampled: false });
  assert.deepEqual(parseCloudTraceContext(TRACE), { traceId: TRACE, spanId: undefined, sampled: false });
  // Past 64 bits, or zero, is no span; the trace stands.
  assert.equal(parseCloudTraceContext(`${TRACE}/18446744073709551616;o=1`)?.spanId, undefined);
  assert.equal(parseCloudTraceContext(`${TRACE}/0;o=1`)?.spanId, undefined);
  for (const bad of [
    `${TRACE}/-1;o=1`,
    `${TRACE}/1;o=x`,
    `${TRACE}/1;o=1;x`,
    `${TRACE.slice(2)}/1`,
    `${'0'.repeat(32)}/1;o=1`,
    `${TRACE}/1 ;o=1`,
  ]) {
    assert.equal(parseCloudTraceContext(bad), undefined, bad);
  }
});

test('the incoming trace: traceparent first, X-Cloud-Trace-Context where it is missing or invalid, else a new trace', () => {
  const xctc = `${TRACE}/255;o=1`;
  const other = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  assert.equal(incomingTrace(headers({ traceparent: `00-${other}-${SPAN}-00`, 'x-cloud-trace-context': xctc })).traceId, other);
  assert.deepEqual(incomingTrace(headers({ traceparent: 'garbage', 'x-cloud-trace-context': xctc })), {
    traceId: TRACE,
    spanId: '00000000000000ff',
    sampled: true,
  });
  assert.deepEqual(
    incomingTrace(headers({}), () => other),
    { traceId: other, sampled: false },
  );
});

test('the W3C form of a context, with a new parent id where the context has none', () => {
  assert.equal(formatTraceparent({ traceId: TRACE, spanId: SPAN, sampled: true }), `00-${TRACE}-${SPAN}-01`);
  assert.equal(
    formatTraceparent({ traceId: TRACE, sampled: false }, () => 'abcdefabcdefabcd'),
    `00-${TRACE}-abcdefabcdefabcd-00`,
  );
  const formatted = formatTraceparent({ traceId: TRACE, sampled: false });
  assert.deepEqual(parseTraceparent(formatted)?.traceId, TRACE);
});

test("the log lines' trace fields: Cloud Logging's special fields, none without a project", () => {
  assert.deepEqual(traceLogFields('proj', { traceId: TRACE, spanId: SPAN, sampled: true }), {
    'logging.googleapis.com/trace': `projects/proj/traces/${TRACE}`,
    'logging.googleapis.com/spanId': SPAN,
    'logging.googleapis.com/trace_sampled': true,
  });
  assert.deepEqual(traceLogFields('proj', { traceId: TRACE, sampled: false }), {
    'logging.googleapis.com/trace': `projects/proj/traces/${TRACE}`,
    'logging.googleapis.com/trace_sampled': false,
  });
  assert.deepEqual(traceLogFields(undefined, { traceId: TRACE, sampled: false }), {});
  assert.deepEqual(traceLogFields('proj', undefined), {});
});
