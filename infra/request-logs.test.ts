// Meta's verify token travels in the query string of its handshake, and Cloud Run's request logs keep the full URL:
// infra/logging.tf excludes those entries from stored logs. Terraform cannot run here, so the exclusion's filter is
// evaluated against log entries shaped as Cloud Run writes them (LogEntry: logName, resource, httpRequest) by the
// evaluator of the Logging query language the metrics' tests use too (test/support/logging-query.ts), which throws on
// anything outside the subset it knows.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { type LogEntry, matcher } from '../test/support/logging-query.ts';
import { readTerraform, resource, type Terraform } from '../test/support/terraform.ts';

let tf: Terraform;
before(async () => {
  tf = await readTerraform('infra');
});

const requestLog = (service: string, url: string): LogEntry => ({
  logName: 'projects/my-project/logs/run.googleapis.com%2Frequests',
  resource: { type: 'cloud_run_revision', labels: { service_name: service } },
  severity: 'INFO',
  httpRequest: { requestMethod: url.includes('?') ? 'GET' : 'POST', requestUrl: url },
});

test("the exclusion drops the ingress's request-log entries that carry Meta's verify token, and nothing else", () => {
  const exclusion = resource(tf, 'google_logging_project_exclusion', 'verify_token_requests');
  const filter = String(exclusion.filter).replaceAll('${var.project_id}', 'my-project');
  const excluded = matcher(filter);
  const ingress = String(tf.locals.ingress_service);
  const handshake =
    'https://hookpipe-ingress-abc-ew.a.run.app/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=s3cr3t&hub.challenge=42';

  assert.ok(excluded(requestLog(ingress, handshake)), 'the handshake with the token is not stored');
  assert.ok(excluded(requestLog(ingress, handshake.replace('hub.verify_token', 'HUB.VERIFY_TOKEN'))), 'whatever the case');
  assert.ok(!excluded(requestLog(ingress, 'https://hookpipe-ingress-abc-ew.a.run.app/webhooks/whatsapp')), 'webhook POSTs are kept');
  assert.ok(
    !excluded(requestLog(ingress, 'https://hookpipe-ingress-abc-ew.a.run.app/webhooks/x?crc_token=abc')),
    'other handshakes are kept',
  );
  assert.ok(!excluded(requestLog(String(tf.locals.processor_service), handshake)), 'only the ingress');
  const stdout = { ...requestLog(ingress, handshake), logName: 'projects/my-project/logs/run.googleapis.com%2Fstdout' };
  assert.ok(!excluded(stdout), "the ingress's own log lines are kept (they carry no query string)");
  assert.ok(!excluded({ ...requestLog(ingress, handshake), logName: 'projects/other-project/logs/run.googleapis.com%2Frequests' }));
});
