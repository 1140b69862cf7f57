// The exporter's settings for Cloud Trace's Telemetry (OTLP) API: its host, TLS, the project in x-goog-user-project,
// and a token from Application Default Credentials on every call (never a call without one).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { googleCallCredentials, TELEMETRY_API, telemetryExporterConfig } from './tracing-sdk.ts';

const CALL = { method_name: 'Export', service_url: `${TELEMETRY_API}/opentelemetry.proto.collector.trace.v1.TraceService` };

test("the exporter calls the Telemetry API over TLS, names the project, and carries ADC's token on each call", async () => {
  const asked: (string | undefined)[] = [];
  let token = 'ya29.first';
  const auth = {
    // As google-auth-library (10 and later) answers: a Headers object, here with a quota project of its own.
    getRequestHeaders: async (url?: string) => {
      asked.push(url);
      return new Headers({ authorization: `Bearer ${token}`, 'x-goog-user-project': 'from-credentials-file' });
    },
  };
  const config = telemetryExporterConfig('my-project', auth);
  assert.equal(config.url, 'https://telemetry.googleapis.com');
  assert.deepEqual(config.metadata.get('x-goog-user-project'), ['my-project']);
  assert.equal(config.credentials._isSecure(), true, 'TLS (grpc-js composes call credentials only with it)');
  // The call credentials the config composes with TLS (grpc-js keeps them private once composed).
  const perCall = googleCallCredentials(auth);
  const first = await perCall.generateMetadata(CALL);
  assert.deepEqual(first.get('authorization'), ['Bearer ya29.first']);
  assert.deepEqual(first.get('x-goog-user-project'), [], 'the project is named once, by the exporter');
  // Asked again on each call, so a refreshed token is used.
  token = 'ya29.second';
  assert.deepEqual((await perCall.generateMetadata(CALL)).get('authorization'), ['Bearer ya29.second']);
  assert.deepEqual(asked, [CALL.service_url, CALL.service_url]);
});

test('credentials that cannot give a token fail the call instead of sending it without one', async () => {
  const auth = { getRequestHeaders: () => Promise.reject(new Error('Could not load the default credentials')) };
  const perCall = googleCallCredentials(auth);
  await assert.rejects(perCall.generateMetadata(CALL), /default credentials/);
});
