// The tracing benchmark's measurements (bench/tracing-cost.ts) and their Markdown report: per load point, each variant's
// CPU per 2xx over its rounds, throughput, latency and refusals, then each candidate against the baseline with the
// run's noise and a verdict (bench/noise.ts). Pure, apart from the command at the bottom, which renders a run again:
//
//   node bench/tracing-report.ts bench/results/<date>-tracing/results.json
import { readFileSync } from 'node:fs';
import { formatValue } from './chart.ts';
import { compare, spreadOf, USEFUL_NOISE } from './noise.ts';
import { type CurvePoint, table } from './report.ts';

/** The reference every other variant is compared with, and its A/A twin: the same code in a second process. */
export const BASELINE = 'baseline';
export const BASELINE_AA = 'baseline A/A';

export interface Variant {
  name: string;
  /** Which code, and with what settings beyond the shared ones. */
  describe: string;
  env: Record<string, string>;
  /** Why it was not measured, or stopped being measured (its server did not start, or answered wrongly). */
  failed?: string | undefined;
  peakRssMB?: number | undefined;
}

export interface TracingPoint {
  payloadBytes: number;
  connections: number;
  /** Per variant, one measurement per round, in round order (the variants interleaved, their order rotated each round). */
  rounds: Record<string, CurvePoint[]>;
}

export interface TracingRun {
  date: string;
  machine: { cores: number; cpu: string; node: string; loadAverageBefore: number; loadAverageAfter: number };
  baseline: { ref: string; commit: string };
  current: { commit: string; uncommitted: string[] };
  /** What infra gives the ingress: its concurrency caps the connections. */
  deployedConcurrency: number;
  sharedEnv: Record<string, string>;
  traceHeaders: Record<string, string>;
  settings: { rounds: number; durationSeconds: number; warmupSeconds: number; quick: boolean };
  variants: Variant[];
  points: TracingPoint[];
  seconds: number;
}

const num = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '-' : formatValue(value));
const percent = (fraction: number) => (Number.isNaN(fraction) ? '-' : `${(fraction * 100).toFixed(1)}%`);
const size = (bytes: number) => `${Math.round(bytes / 1024)} KB`;
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);

/** The variants compared with the baseline: every measured one but the baseline itself. */
const candidates = (run: TracingRun, point: TracingPoint) =>
  run.variants.filter((v) => v.name !== BASELINE && (point.rounds[v.name]?.length ?? 0) > 0).map((v) => v.name);

export interface VerdictRow {
  point: string;
  variant: string;
  ratio: number;
  aaRatio: number | undefined;
  baselineSpread: number;
  aaSpread: number | undefined;
  noise: number;
  verdict: string;
}

/** Each candidate at each point against the baseline; the A/A is listed too, as what "no difference" measured. */
export function verdicts(run: TracingRun): VerdictRow[] {
  const rows: VerdictRow[] = [];
  for (const point of run.points) {
    const cpu = (name: string) => (point.rounds[name] ?? []).map((p) => p.cpuMicrosPer2xx);
    if (cpu(BASELINE).length === 0) continue;
    for (const variant of candidates(run, point)) {
      // The A/A's own row compares it with itself as the A/A: its ratio is the noise it stands for.
      const c = compare(cpu(BASELINE), cpu(variant), cpu(BASELINE_AA));
      rows.push({ point: `${point.connections} conn, ${size(point.payloadBytes)}`, variant, ...c });
    }
  }
  return rows;
}

function pointSection(run: TracingRun, point: TracingPoint): string[] {
  const names = run.variants.map((v) => v.name).filter((name) => (point.rounds[name]?.length ?? 0) > 0);
  const rows = names.map((name) => {
    const rounds = point.rounds[name]!;
    const cpu = spreadOf(rounds.map((p) => p.cpuMicrosPer2xx));
    const non2xx = rounds.reduce((sum, p) => sum + p.non2xx, 0);
    const errors = rounds.reduce((sum, p) => sum + p.errors, 0);
    return [
      name,
      `**${num(cpu.mean)}**`,
      `${num(cpu.min)}–${num(cpu.max)} (±${percent(cpu.relative)})`,
      rounds.map((p) => p.cpuMicrosPer2xx).join(', '),
      num(mean(rounds.map((p) => p.twoxxPerSecond))),
      `${num(mean(rounds.map((p) => p.latency.p50)))} / ${num(mean(rounds.map((p) => p.latency.p99)))}`,
      `${non2xx}${errors ? `, ${errors} errors` : ''}`,
    ];
  });
  return [
    `### ${point.connections} connections, ${size(point.payloadBytes)} bodies`,
    '',
    ...table(['variant', 'CPU µs/2xx (mean)', 'spread across rounds', 'each round', '2xx/s', 'p50 / p99 ms', 'non-2xx'], rows),
    '',
  ];
}

function verdictCell(run: TracingRun, row: VerdictRow): string {
  if (row.variant === BASELINE_AA) return '(the A/A itself)';
  if (run.settings.quick) return `_${row.verdict}: smoke run, no verdict_`;
  return row.verdict === 'within noise' ? row.verdict : `**${row.verdict}**`;
}

export function renderTracingReport(run: TracingRun): string {
  const rows = verdicts(run);
  const off = rows.filter((r) => r.variant !== BASELINE_AA);
  const failed = run.variants.filter((v) => v.failed);
  const s = run.settings;
  const lines = [
    `# Tracing cost: the ingress today beside ${run.baseline.ref}, ${run.date}${s.quick ? ' (quick smoke run: not a measurement)' : ''}`,
    '',
    [
      `Machine: ${run.machine.cores} cores (${run.machine.cpu}), Node ${run.machine.node};`,
      `load average ${run.machine.loadAverageBefore} before the run and ${run.machine.loadAverageAfter} after`,
      '(well above 0 before means other work shared the cores, and the A/A row below shows how much that cost).',
      `Baseline: ${run.baseline.ref} (${run.baseline.commit}), extracted with git archive.`,
      `Current: the working tree at ${run.current.commit}`,
      run.current.uncommitted.length
        ? `with uncommitted changes in ${run.current.uncommitted.join(', ')}.`
        : 'with no uncommitted changes.',
      `Each variant is its own ingress process, from ingress/src/main.ts, with infra's settings`,
      `(${Object.entries(run.sharedEnv)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}; concurrency ${run.deployedConcurrency} per instance caps the connections),`,
      'all publishing to one Pub/Sub emulator topic. GitHub-signed webhooks from autocannon in its own process, with the trace',
      `headers Cloud Run's front end adds (${Object.keys(run.traceHeaders).join(', ')}, sampled flag ${run.traceHeaders.traceparent?.slice(-2)}).`,
      `Per load point: a ${s.warmupSeconds} s warm-up per variant (discarded), then ${s.rounds} rounds of ${s.durationSeconds} s,`,
      "the variants interleaved and their order rotated each round. CPU is the ingress process's user + system time from /proc.",
    ].join(' '),
    '',
    '## Variants',
    '',
    ...table(
      ['variant', 'what', 'peak RSS MB', 'measured'],
      run.variants.map((v) => [v.name, v.describe, num(v.peakRssMB), v.failed ? `**no**: ${v.failed}` : 'yes']),
    ),
    '',
    '## CPU per 2xx against the baseline',
    '',
    [
      "Ratio: the variant's mean CPU µs per 2xx over the baseline's. Noise: the largest of the baseline's own round-to-round",
      "spread (half its range, relative to its mean), the A/A's (a second process of the baseline's code) and how far the A/A's",
      'mean landed from 1.',
      `Within noise: |ratio − 1| ≤ noise, with a band no wider than ±${percent(USEFUL_NOISE)} (a wider one is "too noisy to tell").`,
    ].join(' '),
    '',
    ...table(
      ['point', 'variant', 'CPU ratio to baseline', 'A/A ratio', 'baseline spread', 'A/A spread', 'noise band', 'verdict'],
      rows.map((r) => [
        r.point,
        r.variant,
        `**${r.ratio.toFixed(3)}**`,
        r.aaRatio === undefined ? '-' : r.aaRatio.toFixed(3),
        `±${percent(r.baselineSpread)}`,
        r.aaSpread === undefined ? '-' : `±${percent(r.aaSpread)}`,
        `±${percent(r.noise)}`,
        verdictCell(run, r),
      ]),
    ),
    '',
    off.length === 0
      ? 'No candidate was measured against the baseline.'
      : `${s.quick ? 'Summary of a smoke run (too short to judge anything): ' : 'Summary: '}${[...new Set(off.map((r) => r.variant))]
          .map((variant) => {
            const mine = off.filter((r) => r.variant === variant);
            return `${variant}: ${mine.map((r) => `${r.verdict} at ${r.point} (${r.ratio.toFixed(2)}, ±${percent(r.noise)})`).join(', ')}`;
          })
          .join('; ')}.`,
    '',
    ...(failed.length ? [`Not measured, or stopped: ${failed.map((v) => `${v.name} (${v.failed})`).join('; ')}.`, ''] : []),
    '## Each point',
    '',
    ...run.points.flatMap((point) => pointSection(run, point)),
    `Wall-clock: ${run.seconds} s.`,
    '',
  ];
  return lines.join('\n');
}

if (import.meta.main) {
  const path = process.argv[2];
  if (!path) throw new Error('usage: node bench/tracing-report.ts bench/results/<date>-tracing/results.json');
  process.stdout.write(renderTracingReport(JSON.parse(readFileSync(path, 'utf8')) as TracingRun));
}
