// The tracing report: each candidate is judged against the baseline with the A/A as noise, the A/A itself is shown
// as what "no difference" measured, and a variant that was never measured is named, not silently left out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CurvePoint } from './report.ts';
import { BASELINE, BASELINE_AA, renderTracingReport, type TracingRun, verdicts } from './tracing-report.ts';

const round = (cpuMicrosPer2xx: number): CurvePoint => ({
  connections: 10,
  requests: 1000,
  twoxx: 1000,
  twoxxPerSecond: 500,
  cpuMicrosPer2xx,
  non2xx: 0,
  statusCodes: { '202': 1000 },
  errors: 0,
  timeouts: 0,
  latency: { p50: 2, p90: 3, p99: 5, max: 9 },
});

const run: TracingRun = {
  date: '2026-11-25T00:00:00.000Z',
  machine: { cores: 2, cpu: 'test', node: 'v22', loadAverageBefore: 0, loadAverageAfter: 0 },
  baseline: { ref: '347de7e', commit: '347de7e' },
  current: { commit: 'abc1234', uncommitted: [] },
  deployedConcurrency: 250,
  sharedEnv: { HOOKPIPE_TRACING: 'off' },
  traceHeaders: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' },
  settings: { rounds: 3, durationSeconds: 6, warmupSeconds: 2, quick: false },
  variants: [
    { name: BASELINE, describe: 'baseline', env: {} },
    { name: BASELINE_AA, describe: 'again', env: {} },
    { name: 'off', describe: 'current', env: {} },
    { name: 'on', describe: 'current, on', env: {}, failed: 'did not start: server exited with 1' },
  ],
  points: [
    {
      payloadBytes: 1024,
      connections: 10,
      rounds: { [BASELINE]: [99, 100, 101].map(round), [BASELINE_AA]: [102, 103, 104].map(round), off: [101, 102, 103].map(round) },
    },
  ],
  seconds: 60,
};

test('a candidate is judged with the A/A as noise; the A/A is listed as the noise it stands for', () => {
  const rows = verdicts(run);
  assert.deepEqual(
    rows.map((r) => [r.variant, r.verdict]),
    [
      [BASELINE_AA, 'within noise'],
      ['off', 'within noise'],
    ],
  );
  const off = rows.find((r) => r.variant === 'off')!;
  assert.ok(Math.abs(off.aaRatio! - 1.03) < 1e-9);
  assert.ok(Math.abs(off.noise - 0.03) < 1e-9);
  // The A/A's row is its own noise: ratio, A/A ratio and band are one number.
  const aa = rows.find((r) => r.variant === BASELINE_AA)!;
  assert.equal(aa.ratio, aa.aaRatio);
  assert.ok(Math.abs(aa.noise - 0.03) < 1e-9);
});

test('the report names a variant that was not measured and why', () => {
  const markdown = renderTracingReport(run);
  assert.match(markdown, /\| on \| current, on \| - \| \*\*no\*\*: did not start: server exited with 1 \|/);
  assert.match(markdown, /\| 10 conn, 1 KB \| off \| \*\*1\.020\*\* \| 1\.030 \| ±1\.0% \| ±1\.0% \| ±3\.0% \| within noise \|/);
});
