// The evaluator of Cloud Logging's side against what Google's documentation says it does: the precedence of the
// query language's operators, case-insensitive string comparisons, `:` on a structured field, extraction defaults,
// and the special fields of a structured log line (see the links in logging-query.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyLogMetric, cloudRunEntry, matcher, parseExtractor, parseQuery } from './logging-query.ts';

const origin = { projectId: 'p', service: 'svc' };
const entry = (fields: Record<string, unknown>) => cloudRunEntry(JSON.stringify(fields), origin);

test('a JSON line becomes jsonPayload, less the special fields Cloud Logging lifts into the entry; other lines textPayload', () => {
  const made = cloudRunEntry(
    JSON.stringify({
      severity: 'warning',
      message: 'hello',
      time: '2026-11-25T10:00:00.000Z',
      'logging.googleapis.com/trace': 'projects/p/traces/abc',
      'logging.googleapis.com/spanId': '0123',
      httpRequest: { status: 202 },
      event: 'webhook',
    }),
    origin,
  );
  assert.deepEqual(made, {
    logName: 'projects/p/logs/run.googleapis.com%2Fstdout',
    resource: {
      type: 'cloud_run_revision',
      labels: { project_id: 'p', service_name: 'svc', revision_name: 'svc-00001-abc', configuration_name: 'svc', location: 'europe-west1' },
    },
    severity: 'WARNING',
    timestamp: '2026-11-25T10:00:00.000Z',
    trace: 'projects/p/traces/abc',
    spanId: '0123',
    httpRequest: { status: 202 },
    jsonPayload: { message: 'hello', event: 'webhook' },
  });
  assert.equal(cloudRunEntry('not json', origin).textPayload, 'not json');
  assert.equal(cloudRunEntry('[1]', origin).textPayload, '[1]');
  assert.equal(entry({ severity: 'LOUD' }).severity, 'DEFAULT');
  assert.equal(cloudRunEntry('{}', { ...origin, stream: 'stderr' }).logName, 'projects/p/logs/run.googleapis.com%2Fstderr');
});

test('the query language: NOT, then OR, then AND; side by side is AND; string comparisons ignore case; `:` looks inside', () => {
  const e = entry({ a: 'x', b: 'y', nested: { deep: 'Needle here' }, n: 5 });
  // "a OR NOT b AND NOT c OR d" is "(a OR (NOT b)) AND ((NOT c) OR d)".
  assert.equal(matcher('jsonPayload.a="x" OR NOT jsonPayload.b="y" AND NOT jsonPayload.a="x" OR jsonPayload.b="z"')(e), false);
  assert.equal(matcher('(jsonPayload.a="x" OR NOT jsonPayload.b="y") AND (NOT jsonPayload.a="q" OR jsonPayload.b="z")')(e), true);
  assert.equal(matcher('jsonPayload.a="X" jsonPayload.b=y')(e), true);
  assert.equal(matcher('jsonPayload.a!="x"')(e), false);
  assert.equal(matcher('jsonPayload.nested:"needle"')(e), true);
  assert.equal(matcher('jsonPayload.n="5"')(e), true);
  assert.equal(matcher('jsonPayload.missing="x"')(e), false);
  assert.equal(matcher('NOT jsonPayload.missing="x"')(e), true);
  assert.throws(() => parseQuery('jsonPayload.a={x}'), /does not understand/);
  assert.throws(() => parseQuery('jsonPayload.a="x" AND'), /expected word/);
  assert.throws(() => parseQuery('(jsonPayload.a="x"'), /expected close/);
});

test('extractors: a missing field gives a label its default and records no value; REGEXP_EXTRACT takes one group', () => {
  const metric = {
    name: 'm',
    filter: 'jsonPayload.event="e"',
    label_extractors: { kind: 'EXTRACT(jsonPayload.kind)', id: 'REGEXP_EXTRACT(jsonPayload.id, "^(\\w+)_")' },
    value_extractor: 'EXTRACT(jsonPayload.ms)',
    metric_descriptor: [{ value_type: 'DISTRIBUTION', labels: [{ key: 'kind' }, { key: 'id' }] }],
  };
  const series = applyLogMetric(metric, [
    entry({ event: 'e', kind: 'a', id: 'evt_1', ms: 3 }),
    entry({ event: 'e', id: 'nope', ms: '4' }),
    entry({ event: 'e', kind: 'a', id: 'evt_2', ms: 'slow' }),
    entry({ event: 'other', kind: 'a', ms: 1 }),
  ]);
  assert.deepEqual(series, [
    { labels: { kind: 'a', id: 'evt' }, count: 1, values: [3] },
    { labels: { kind: '', id: '' }, count: 1, values: [4] },
  ]);
  assert.throws(() => parseExtractor('REGEXP_EXTRACT(jsonPayload.id, "(a)(b)")'), /exactly one capture group, not 2/);
  assert.throws(() => parseExtractor('EXTRACT(jsonPayload.id, "x")'), /wrong arguments/);
  assert.throws(() => applyLogMetric({ ...metric, value_extractor: undefined }, []), /a distribution needs a value extractor/);
});

test('regular expressions match anywhere unless anchored; <, <=, >, >= compare numbers, and a missing field matches none', () => {
  const e = entry({ url: 'https://h.a.run.app/webhooks/stripe?x=1', status: 202, text: '204' });
  assert.equal(matcher('jsonPayload.url=~"/webhooks/[a-z]+"')(e), true);
  assert.equal(matcher('jsonPayload.url=~"^/webhooks/"')(e), false);
  assert.equal(matcher('jsonPayload.url!~"^/webhooks/"')(e), true);
  assert.equal(matcher('jsonPayload.url=~"^https?://[^/]+/webhooks/[^/?#]+(?:[?#]|$)"')(e), true);
  assert.equal(matcher('jsonPayload.missing=~".*"')(e), false);
  assert.equal(matcher('jsonPayload.status>=200 AND jsonPayload.status<300')(e), true);
  assert.equal(matcher('jsonPayload.status>202')(e), false);
  assert.equal(matcher('jsonPayload.status<=202')(e), true);
  assert.equal(matcher('jsonPayload.text>203')(e), true, 'a number written as a string');
  assert.equal(matcher('jsonPayload.missing<300')(e), false);
  assert.equal(matcher('NOT jsonPayload.missing<300')(e), true);
  assert.throws(() => matcher('jsonPayload.status>"abc"')(e), /only numbers are compared with > here/);
});
