// The model of Cloud Run's front end against what its header comment says Cloud Run does: which trace a request gets,
// the headers the container sees, and an entry holding only the request log's fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forwardedTraceHeaders, frontEndTrace, REQUEST_LOG_FIELDS, requestLogEntry, runAppOrigin } from './request-log.ts';

const ids = (bytes: number) => (bytes === 8 ? '00000000499602d2' : 'c'.repeat(32));

test("the front end keeps a valid traceparent's trace, else an X-Cloud-Trace-Context's, else starts one; its span is the parent", () => {
  const trace = '0af7651916cd43dd8448eb211c80319c';
  assert.deepEqual(frontEndTrace({ traceparent: `00-${trace}-b7ad6b7169203331-01` }, ids), {
    traceId: trace,
    spanId: '00000000499602d2',
    sampled: true,
  });
  const legacy = { 'x-cloud-trace-context': `${trace.toUpperCase()}/7;o=1` };
  assert.deepEqual(frontEndTrace(legacy, ids), { traceId: trace, spanId: '00000000499602d2', sampled: true });
  const forged = `00-${trace}-b7ad6b7169203331-01-"},"severity":"CRITICAL`;
  assert.deepEqual(frontEndTrace({ traceparent: forged }, ids), { traceId: 'c'.repeat(32), spanId: '00000000499602d2', sampled: false });
  assert.equal(frontEndTrace({ traceparent: forged, ...legacy }, ids).traceId, trace, 'a malformed traceparent falls back');
  assert.equal(frontEndTrace({ traceparent: `00-${'0'.repeat(32)}-b7ad6b7169203331-01` }, ids).traceId, 'c'.repeat(32));
  assert.equal(frontEndTrace({}, ids).traceId, 'c'.repeat(32));
});

test('the container gets both trace headers, naming the same trace and span', () => {
  const headers = forwardedTraceHeaders({ traceId: 'a'.repeat(32), spanId: '00000000499602d2', sampled: true });
  assert.deepEqual(headers, {
    traceparent: `00-${'a'.repeat(32)}-00000000499602d2-01`,
    'x-cloud-trace-context': `${'a'.repeat(32)}/1234567890;o=1`,
  });
});

test("an entry holds only the request log's fields, with the full public URL and the request's trace", () => {
  const entry = requestLogEntry(
    {
      method: 'POST',
      path: '/webhooks/stripe?x=1',
      status: 202,
      seconds: 0.0123,
      requestBytes: 10,
      responseBytes: 0,
      userAgent: 'Stripe/1.0',
      remoteIp: '127.0.0.1',
      at: new Date(0),
      trace: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), sampled: false },
    },
    { projectId: 'p', service: 'hookpipe-ingress', origin: runAppOrigin('hookpipe-ingress') },
  );
  const paths = (value: unknown, prefix = ''): string[] =>
    value && typeof value === 'object'
      ? Object.entries(value).flatMap(([key, inner]) => paths(inner, prefix ? `${prefix}.${key}` : key))
      : [prefix];
  const fields: readonly string[] = REQUEST_LOG_FIELDS;
  assert.deepEqual(
    paths(entry).filter((path) => !fields.includes(path)),
    [],
  );
  assert.equal(entry.logName, 'projects/p/logs/run.googleapis.com%2Frequests');
  assert.equal(entry.httpRequest?.requestUrl, 'https://hookpipe-ingress-abc123-ew.a.run.app/webhooks/stripe?x=1');
  assert.equal(entry.httpRequest?.latency, '0.012300s');
  assert.equal(entry.trace, `projects/p/traces/${'a'.repeat(32)}`);
  assert.equal(entry.severity, 'INFO');
});
