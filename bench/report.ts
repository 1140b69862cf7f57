// The benchmark's report: from the measurements of one run (results.json) to a Markdown report with an SVG chart per
// curve, the targets of issue 12 marked met or missed, and a table ready to paste into the README. Pure, apart from
// the command at the bottom, which regenerates a run's report from its results.json:
//
//   node bench/report.ts bench/results/<date>/results.json
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  ASSUMED,
  costPerMillion,
  FIRESTORE_PER_EVENT,
  FIRESTORE_SEQUENTIAL_INDEX_WRITES_PER_SECOND,
  PRICES,
  pubsubBytesPerWebhook,
  rampUpMinutes,
  type ServiceShape,
  serviceNeed,
} from './capacity.ts';
import { formatValue, lineChart, type Series } from './chart.ts';
import type { FirestoreFloor, ProcessorRun } from './processor-alone.ts';

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** One contender at one number of connections, each connection sending its next request once answered. */
export interface CurvePoint {
  connections: number;
  requests: number;
  twoxx: number;
  twoxxPerSecond: number;
  /** The server's own CPU (all threads) over the measured seconds, per 2xx. */
  cpuMicrosPer2xx: number;
  /** The Pub/Sub emulator's CPU over the same seconds, per 2xx: it shares the machine. */
  pubsubEmulatorMicrosPer2xx?: number | undefined;
  non2xx: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  latency: Latency;
}

export interface Curve {
  contender: string;
  payloadBytes: number;
  points: CurvePoint[];
  peakRssMB: number;
}

/** One point of bench/publisher-batching.ts: the ingress's publisher alone, no HTTP. */
export interface PublisherPoint {
  scheme: string;
  load: { kind: 'inflight' | 'rate'; value: number };
  publishes: number;
  cpuMicrosPerMessage: number;
  p50Ms: number;
  p99Ms: number;
  messagesPerSecond: number;
  meanBatch?: number | undefined;
}

export interface HeaviestLoad {
  connections: number;
  twoxxPerSecond: number;
  twoxx: number;
  status503: number;
  otherNon2xx: number;
  errors: number;
  latency: Latency;
  peakRssMB: number;
  publishedSeen: number;
  twoxxWithoutPublish: number;
}

export interface EndToEnd {
  burst: {
    events: number;
    seconds: number;
    eventsPerSecond: number;
    /** CPU per processed event over the burst, each process apart. */
    cpuMicrosPerEvent: { ingress: number; processor: number; pubsubEmulator?: number | undefined; firestoreEmulator?: number | undefined };
  };
  fixedRates: Array<{ offered: number; events: number; p50: number; p99: number }>;
}

/** What infra gives a Cloud Run service. */
export interface ServiceLimits {
  concurrency: number;
  maxInstances: number;
  vcpu: number;
  memoryGiB: number;
}

export interface BenchRun {
  date: string;
  durationSeconds: number;
  /** loadAverage: the 1-minute load average just before the run; well above 0 means other work shared the cores. */
  machine: { cores: number; cpu: string; memoryGiB: number; node: string; loadAverage: number };
  /** What infra/ gives the services, and what of it the benchmark's ingress ran with. */
  deployed: { ingressEnv: Record<string, string>; ingress: ServiceLimits; processor: ServiceLimits };
  curves: Curve[];
  publisher?: PublisherPoint[] | undefined;
  heaviest?: HeaviestLoad | undefined;
  processor?: ProcessorRun[] | undefined;
  firestoreFloor?: FirestoreFloor[] | undefined;
  e2e?: EndToEnd | undefined;
  /** Phases that failed, with their error; the rest of the run is still reported. */
  failures?: Array<{ phase: string; error: string }> | undefined;
  /** Wall-clock seconds per phase, to keep a full run within its budget. */
  phaseSeconds?: Record<string, number> | undefined;
}

/** Issue 12's bars; the processor's events/s is compared with what the issue measured on this machine. */
export const TARGETS = {
  zeroNon2xxAt: [10, 50, 250, 500],
  ratioAt: [10, 50, 250],
  minThroughputRatio: 2,
  maxCpuRatio: 0.5,
  maxP50AtTenMs: 3,
  maxProcessorMicrosPerEvent: 400,
  processorBaseline: { connections: 50, eventsPerSecond: 614 },
} as const;

export const SMALL = 1024;
export const LARGE = 64 * 1024;

const sizeLabel = (bytes: number) => (bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} B`);
const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : NaN);
const mark = (met: boolean | undefined) => (met === undefined ? 'not measured' : met ? 'met' : '**missed**');
const num = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '-' : formatValue(value));
/** A paragraph of the report from its sentences: Markdown joins the lines of a paragraph anyway. */
const para = (...sentences: string[]) => sentences.join(' ');

export function table(headers: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>): string[] {
  return [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}

export function curveOf(run: BenchRun, contender: string, payloadBytes: number): Curve | undefined {
  return run.curves.find((c) => c.contender === contender && c.payloadBytes === payloadBytes);
}

const pointAt = (curve: Curve | undefined, connections: number) => curve?.points.find((p) => p.connections === connections);

export interface TargetResult {
  target: string;
  measured: string;
  met: boolean | undefined;
}

export function targets(run: BenchRun): TargetResult[] {
  const hookpipe = curveOf(run, 'hookpipe', SMALL);
  const sample = curveOf(run, 'sample', SMALL);
  const out: TargetResult[] = [];
  for (const connections of TARGETS.zeroNon2xxAt) {
    const point = pointAt(hookpipe, connections);
    out.push({
      target: `0 non-2xx at ${connections} connections, Pub/Sub healthy (1 KB)`,
      measured: point ? `${point.non2xx} non-2xx, ${point.errors} errors` : '-',
      met: point ? point.non2xx === 0 && point.errors === 0 : undefined,
    });
  }
  for (const connections of TARGETS.ratioAt) {
    const [h, s] = [pointAt(hookpipe, connections), pointAt(sample, connections)];
    const throughput = h && s ? ratio(h.twoxxPerSecond, s.twoxxPerSecond) : undefined;
    const cpu = h && s ? ratio(h.cpuMicrosPer2xx, s.cpuMicrosPer2xx) : undefined;
    out.push(
      {
        target: `hookpipe / sample 2xx/s >= ${TARGETS.minThroughputRatio} at ${connections} connections`,
        measured: h && s ? `${throughput} (${num(h.twoxxPerSecond)} / ${num(s.twoxxPerSecond)})` : '-',
        met: throughput === undefined ? undefined : throughput >= TARGETS.minThroughputRatio,
      },
      {
        target: `hookpipe / sample CPU per 2xx <= ${TARGETS.maxCpuRatio} at ${connections} connections`,
        measured: h && s ? `${cpu} (${num(h.cpuMicrosPer2xx)} / ${num(s.cpuMicrosPer2xx)} µs)` : '-',
        met: cpu === undefined ? undefined : cpu <= TARGETS.maxCpuRatio,
      },
    );
  }
  const ten = pointAt(hookpipe, 10);
  out.push({
    target: `hookpipe p50 at 10 connections <= ${TARGETS.maxP50AtTenMs} ms`,
    measured: ten ? `${ten.latency.p50} ms` : '-',
    met: ten ? ten.latency.p50 <= TARGETS.maxP50AtTenMs : undefined,
  });
  const runs = run.processor ?? [];
  const worst = runs.length ? Math.max(...runs.map((r) => r.processorCpuMicrosPerEvent)) : undefined;
  const eachRun = runs.map((r) => `${r.processorCpuMicrosPerEvent} at ${r.connections}`).join(', ');
  out.push({
    target: `processor CPU per event <= ${TARGETS.maxProcessorMicrosPerEvent} µs (no-op handler, ledger included)`,
    measured: worst === undefined ? '-' : `at most ${worst} µs (${eachRun})`,
    met: worst === undefined ? undefined : worst <= TARGETS.maxProcessorMicrosPerEvent,
  });
  const { connections: baseConnections, eventsPerSecond: baseRate } = TARGETS.processorBaseline;
  const baseline = runs.find((r) => r.connections === baseConnections);
  out.push({
    target: `processor events/s at ${baseConnections} connections >= 2x issue 12's ${baseRate}`,
    measured: baseline ? `${baseline.eventsPerSecond} (${ratio(baseline.eventsPerSecond, baseRate)}x)` : '-',
    met: baseline ? baseline.eventsPerSecond >= 2 * baseRate : undefined,
  });
  return out;
}

const latencyText = (l: Latency) => `${l.p50} / ${l.p99}`;
const non2xxText = (p: CurvePoint) => {
  const codes = Object.entries(p.statusCodes).filter(([code]) => !code.startsWith('2'));
  const detail = codes.length ? ` (${codes.map(([code, count]) => `${code}: ${count}`).join(', ')})` : '';
  return `${p.non2xx}${detail}${p.errors ? `, ${p.errors} errors` : ''}`;
};

/** The curve table: hookpipe beside the sample (and the bare server where measured), and their ratios, per point. */
export function curveTable(run: BenchRun, payloadBytes: number): string[] {
  const [h, s, b] = ['hookpipe', 'sample', 'bare'].map((c) => curveOf(run, c, payloadBytes));
  const connections = [...new Set([h, s, b].flatMap((c) => c?.points.map((p) => p.connections) ?? []))].sort((x, y) => x - y);
  return table(
    [
      'connections',
      'hookpipe 2xx/s',
      'CPU µs/2xx',
      'p50 / p99 ms',
      'non-2xx',
      'sample 2xx/s',
      'CPU µs/2xx',
      'p50 / p99 ms',
      'non-2xx',
      'hookpipe / sample 2xx/s',
      'hookpipe / sample CPU',
      'bare 2xx/s (CPU µs)',
      'Pub/Sub emulator CPU µs/2xx, hookpipe / sample',
    ],
    connections.map((n) => {
      const [hp, sp, bp] = [pointAt(h, n), pointAt(s, n), pointAt(b, n)];
      return [
        n,
        hp ? `**${num(hp.twoxxPerSecond)}**` : '-',
        hp ? num(hp.cpuMicrosPer2xx) : '-',
        hp ? latencyText(hp.latency) : '-',
        hp ? non2xxText(hp) : '-',
        sp ? num(sp.twoxxPerSecond) : '-',
        sp ? num(sp.cpuMicrosPer2xx) : '-',
        sp ? latencyText(sp.latency) : '-',
        sp ? non2xxText(sp) : '-',
        hp && sp ? `${ratio(hp.twoxxPerSecond, sp.twoxxPerSecond)}x` : '-',
        hp && sp ? `${ratio(hp.cpuMicrosPer2xx, sp.cpuMicrosPer2xx)}x` : '-',
        bp ? `${num(bp.twoxxPerSecond)} (${num(bp.cpuMicrosPer2xx)})` : '-',
        `${num(hp?.pubsubEmulatorMicrosPer2xx)} / ${num(sp?.pubsubEmulatorMicrosPer2xx)}`,
      ];
    }),
  );
}

export interface Chart {
  file: string;
  title: string;
  svg: string;
}

function chart(file: string, title: string, xLabel: string, yLabel: string, series: Series[]): Chart {
  return { file, title, svg: lineChart({ title, xLabel, yLabel, series: series.filter((s) => s.points.length > 0) }) };
}

/** bench/firestore-floor.ts's ledger shapes, as the report names them. */
const LEDGER_SHAPES: Record<string, string> = {
  transaction: 'transaction (begin, get, commit) + update',
  'create-update': 'create + update',
  'bulk-create-update': 'create + update, batched',
};

/** Each contender keeps its colour in every chart. */
const COLOUR: Record<string, string> = { hookpipe: '#1f77b4', sample: '#d62728', bare: '#7f7f7f' };

function curveCharts(run: BenchRun, payloadBytes: number): Chart[] {
  const curves = ['hookpipe', 'sample', 'bare'].map((c) => curveOf(run, c, payloadBytes)).filter((c) => c !== undefined);
  const size = sizeLabel(payloadBytes).replace(' ', '');
  const line = (c: Curve, pick: (p: CurvePoint) => number, name = c.contender, dashed = false): Series => ({
    name,
    colour: COLOUR[c.contender],
    dashed,
    points: c.points.map((p) => ({ x: p.connections, y: pick(p) })),
  });
  const series = (pick: (p: CurvePoint) => number) => curves.map((c) => line(c, pick));
  const withoutBare = curves.filter((c) => c.contender !== 'bare');
  const label = sizeLabel(payloadBytes);
  return [
    chart(
      `ingress-${size}-throughput.svg`,
      `2xx per second, ${label} webhooks`,
      'connections',
      '2xx/s',
      series((p) => p.twoxxPerSecond),
    ),
    chart(
      `ingress-${size}-cpu.svg`,
      `CPU µs per 2xx, ${label}`,
      'connections',
      'µs of CPU per 2xx',
      series((p) => p.cpuMicrosPer2xx),
    ),
    chart(`ingress-${size}-latency.svg`, `Latency, ${label}`, 'connections', 'ms', [
      ...withoutBare.map((c) => line(c, (p) => p.latency.p50, `${c.contender} p50`)),
      ...withoutBare.map((c) => line(c, (p) => p.latency.p99, `${c.contender} p99`, true)),
    ]),
  ];
}

const image = (c: Chart) => `![${c.title}](${c.file})`;

/** The point of `points` whose connections are nearest `wanted` (the deployed concurrency). */
function nearest<T extends { connections: number }>(points: readonly T[], wanted: number): T | undefined {
  return [...points].sort((x, y) => Math.abs(x.connections - wanted) - Math.abs(y.connections - wanted))[0];
}

export const CAPACITY_RATES = [1000, 10_000, 100_000] as const;

/** docs/capacity.md's model, fed with this run's CPU per event at the deployed concurrency. */
export function capacitySection(run: BenchRun): string[] {
  const ingressPoint = nearest(curveOf(run, 'hookpipe', SMALL)?.points ?? [], run.deployed.ingress.concurrency);
  const processorRun = nearest(run.processor ?? [], run.deployed.processor.concurrency);
  if (!ingressPoint || !processorRun) return [];
  const shape = (limits: ServiceLimits, cpuMicrosPerEvent: number, requestSeconds: number): ServiceShape => ({
    ...limits,
    cpuMicrosPerEvent,
    requestSeconds,
  });
  const ingress = shape(run.deployed.ingress, ingressPoint.cpuMicrosPer2xx, ASSUMED.ingressRequestSeconds);
  const processor = shape(run.deployed.processor, processorRun.processorCpuMicrosPerEvent, ASSUMED.processorRequestSeconds);
  const bytes = pubsubBytesPerWebhook(SMALL);
  const instances = (need: ReturnType<typeof serviceNeed>, max: number) =>
    `${need.instances} (CPU ${need.byCpu}, concurrency ${need.byConcurrency})${need.overMaxInstances ? ` **over infra's ${max}**` : ''}`;
  const mbps = (perWebhook: number, rate: number) => formatValue((perWebhook * rate) / 1e6);
  return [
    "## Capacity, from this run (docs/capacity.md's model)",
    '',
    para(
      `CPU per webhook: ingress ${ingress.cpuMicrosPerEvent} µs (1 KB, ${ingressPoint.connections} connections), processor`,
      `${processor.cpuMicrosPerEvent} µs (${processorRun.connections} connections).`,
      'Assumed, not measurable on the emulators: a request lasts',
      `${ASSUMED.ingressRequestSeconds * 1000} ms at the ingress and ${ASSUMED.processorRequestSeconds * 1000} ms at the processor.`,
      'Cloud Run keeps instances near 60% CPU and 60% of their concurrency; each instance is billed while it serves.',
      `Prices as of ${PRICES.asOf} (docs/capacity.md cites them).`,
    ),
    '',
    ...table(
      [
        'webhooks/s',
        'ingress vCPUs used',
        'ingress instances',
        'processor vCPUs used',
        'processor instances',
        'Firestore writes/s',
        'Pub/Sub MB/s publish / push',
        'ramp-up from cold',
      ],
      CAPACITY_RATES.map((rate) => {
        const [i, p] = [serviceNeed(rate, ingress), serviceNeed(rate, processor)];
        const writes = rate * FIRESTORE_PER_EVENT.writes;
        return [
          formatValue(rate),
          formatValue(i.cpuVcpus),
          instances(i, ingress.maxInstances),
          formatValue(p.cpuVcpus),
          instances(p, processor.maxInstances),
          `${formatValue(writes)}${writes > FIRESTORE_SEQUENTIAL_INDEX_WRITES_PER_SECOND ? ' (past 500/s: see docs)' : ''}`,
          `${mbps(bytes.publish, rate)} / ${mbps(bytes.push, rate)}`,
          `${rampUpMinutes(rate * (FIRESTORE_PER_EVENT.writes + FIRESTORE_PER_EVENT.reads))} min`,
        ];
      }),
    ),
    '',
    ...table(
      ['webhooks/s', 'Cloud Run CPU + memory', 'Cloud Run requests', 'Pub/Sub', 'Firestore', 'Logging (estimate)', '**per million**'],
      CAPACITY_RATES.map((rate) => {
        const c = costPerMillion(rate, ingress, processor, SMALL);
        const usd = (value: number) => `$${value.toFixed(3)}`;
        return [
          formatValue(rate),
          usd(c.cloudRunCompute),
          usd(c.cloudRunRequests),
          usd(c.pubsub),
          usd(c.firestore),
          usd(c.logging),
          `**${usd(c.total)}**`,
        ];
      }),
    ),
    '',
  ];
}

/** The lines for the README's Performance section: the issue's table shape, from this run. */
export function readmeTable(run: BenchRun): string[] {
  const [h, s] = [curveOf(run, 'hookpipe', SMALL), curveOf(run, 'sample', SMALL)];
  const connections = h?.points.map((p) => p.connections) ?? [];
  const lines = table(
    [
      'connections',
      'hookpipe 2xx/s',
      'CPU µs/2xx',
      'p50 / p99 ms',
      'non-2xx',
      'sample 2xx/s',
      'sample CPU µs/2xx',
      'sample p50 / p99 ms',
      'ratio 2xx/s',
      'ratio CPU',
    ],
    connections.map((n) => {
      const [hp, sp] = [pointAt(h, n)!, pointAt(s, n)];
      return [
        n,
        `**${num(hp.twoxxPerSecond)}**`,
        `**${num(hp.cpuMicrosPer2xx)}**`,
        latencyText(hp.latency),
        hp.non2xx + hp.errors,
        sp ? num(sp.twoxxPerSecond) : '-',
        sp ? num(sp.cpuMicrosPer2xx) : '-',
        sp ? latencyText(sp.latency) : '-',
        sp ? `${ratio(hp.twoxxPerSecond, sp.twoxxPerSecond)}x` : '-',
        sp ? `${ratio(hp.cpuMicrosPer2xx, sp.cpuMicrosPer2xx)}x` : '-',
      ];
    }),
  );
  const large = [curveOf(run, 'hookpipe', LARGE), curveOf(run, 'sample', LARGE)];
  const largeLine = large[0]?.points
    .map((hp) => {
      const sp = pointAt(large[1], hp.connections);
      const sample = sp ? `${num(sp.twoxxPerSecond)} at ${num(sp.cpuMicrosPer2xx)} µs` : '-';
      return `${hp.connections} connections ${num(hp.twoxxPerSecond)} 2xx/s at ${num(hp.cpuMicrosPer2xx)} µs (sample ${sample})`;
    })
    .join('; ');
  const processor = run.processor
    ?.map(
      (r) =>
        `${r.connections} connections ${num(r.eventsPerSecond)} events/s at ${r.processorCpuMicrosPerEvent} µs CPU per event ` +
        `(Firestore emulator ${r.emulatorCpuMicrosPerEvent} µs)`,
    )
    .join('; ');
  const e2e = run.e2e;
  const settings = Object.entries(run.deployed.ingressEnv)
    .filter(([k]) => k !== 'HOOKPIPE_SOURCES')
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    `GitHub-signed 1 KB webhooks, autocannon closed loop, ${run.durationSeconds} s per point,`,
    `the ingress with infra's settings (${settings}):`,
    '',
    ...lines,
    '',
    ...(largeLine ? [`64 KB: ${largeLine}.`] : []),
    ...(processor ? [`Processor alone (no-op handler, ledger included): ${processor}.`] : []),
    ...(e2e
      ? [
          `End to end (ingress, Pub/Sub push, processor, ledger): ${num(e2e.burst.eventsPerSecond)} events/s ` +
            `in a burst of ${e2e.burst.events}; ` +
            e2e.fixedRates.map((f) => `p50 ${f.p50} / p99 ${f.p99} ms at ${f.offered}/s`).join(', ') +
            '.',
        ]
      : []),
  ];
}

export function renderReport(run: BenchRun): { markdown: string; charts: Chart[] } {
  const charts: Chart[] = [];
  const lines: string[] = [
    `# hookpipe benchmark, ${run.date}`,
    '',
    para(
      `Machine: ${run.machine.cores} cores (${run.machine.cpu}), ${run.machine.memoryGiB} GiB, Node ${run.machine.node}.`,
      'The Pub/Sub and Firestore emulators, the load generator (autocannon, in its own process) and the servers all share it,',
      'so absolute numbers are modest and the ratios are what carries over.',
      `Load average just before the run: ${run.machine.loadAverage} (well above 0, other work shared the cores and every number is noise).`,
    ),
    '',
    para(
      'Every server runs compiled to JavaScript, as deployed. Load: GitHub-signed push webhooks (X-Hub-Signature-256),',
      `each connection sending its next request once answered, ${run.durationSeconds} s per point`,
      'after a warm-up at the same number of connections.',
      `The hookpipe ingress runs with the settings infra/ gives it (${Object.entries(run.deployed.ingressEnv)
        .map(([k, v]) => `\`${k}=${v}\``)
        .join(', ')}; Cloud Run concurrency ${run.deployed.ingress.concurrency}),`,
      'so a bound tuned at one load is checked at every other.',
      "The sample is the ingress a user would write from Google's Cloud Run sample (Express, JSON parsing, an HMAC check,",
      'one awaited publish per request, default client settings); the bare server answers 202 with no verification and no publish',
      '(the limit of HTTP here).',
      "CPU is each process's user + system time from /proc over the measured seconds, divided by its 2xx.",
    ),
    '',
    ...(run.failures?.length
      ? ['**Phases that failed in this run** (their sections are missing):', '', ...run.failures.map((f) => `- ${f.phase}: ${f.error}`), '']
      : []),
    '## Targets (issue 12)',
    '',
    ...table(
      ['target', 'measured', ''],
      targets(run).map((t) => [t.target, t.measured, mark(t.met)]),
    ),
    '',
  ];

  for (const payloadBytes of [SMALL, LARGE]) {
    if (!curveOf(run, 'hookpipe', payloadBytes) && !curveOf(run, 'sample', payloadBytes)) continue;
    const drawn = curveCharts(run, payloadBytes);
    charts.push(...drawn);
    const rss = run.curves
      .filter((c) => c.payloadBytes === payloadBytes)
      .map((c) => `${c.contender} ${c.peakRssMB} MB`)
      .join(', ');
    lines.push(`## Ingress, ${sizeLabel(payloadBytes)} bodies`, '', ...curveTable(run, payloadBytes), '');
    lines.push(`Peak RSS over the curve: ${rss}.`, '', ...drawn.map(image), '');
  }

  if (run.processor) {
    const runs = run.processor;
    const drawn = [
      chart('processor-throughput.svg', 'Processor alone: events per second', 'connections', 'events/s', [
        { name: 'processor', points: runs.map((r) => ({ x: r.connections, y: r.eventsPerSecond })) },
      ]),
      chart('processor-cpu.svg', 'Processor alone: CPU µs per event', 'connections', 'µs of CPU per event', [
        { name: 'processor', points: runs.map((r) => ({ x: r.connections, y: r.processorCpuMicrosPerEvent })) },
        { name: 'Firestore emulator', points: runs.map((r) => ({ x: r.connections, y: r.emulatorCpuMicrosPerEvent })) },
      ]),
    ];
    charts.push(...drawn);
    lines.push(
      '## The processor alone',
      '',
      para(
        'Push envelopes posted straight at `/pubsub/push` (bench/processor-alone.ts), each a new delivery, a no-op handler,',
        '`LOG_LEVEL=warn`, the ledger in the Firestore emulator;',
        `Cloud Run gives the processor a concurrency of ${run.deployed.processor.concurrency}.`,
        "The emulator's CPU is shown apart: it shares the machine.",
      ),
      '',
      ...table(
        ['connections', 'events/s', 'processor CPU µs/event', 'Firestore emulator CPU µs/event', 'p50 / p99 ms', 'non-2xx', 'in ledger'],
        runs.map((r) => [
          r.connections,
          `**${num(r.eventsPerSecond)}**`,
          `**${r.processorCpuMicrosPerEvent}**`,
          r.emulatorCpuMicrosPerEvent,
          latencyText(r.latency),
          r.non2xx + r.errors,
          r.processedInLedger,
        ]),
      ),
      '',
      ...drawn.map(image),
      '',
    );
  }

  if (run.firestoreFloor?.length) {
    lines.push(
      'The Firestore client alone, per ledger shape and transport (bench/firestore-floor.ts), no HTTP and no handler:',
      '',
      ...table(
        ['ledger shape', 'transport', 'events in flight', 'client CPU µs/event', 'events/s'],
        run.firestoreFloor.map((f) => [
          LEDGER_SHAPES[f.shape] ?? f.shape,
          f.transport,
          f.inflight,
          f.microsPerEvent,
          num(f.eventsPerSecond),
        ]),
      ),
      '',
    );
  }

  if (run.publisher?.length) {
    const points = run.publisher.filter((p) => p.load.kind === 'inflight');
    const schemes = [...new Set(points.map((p) => p.scheme))];
    const drawn = chart(
      'publisher-cpu.svg',
      "The ingress's publisher alone: CPU µs per 1 KB message",
      'publishes in flight',
      'µs of CPU per message',
      schemes.map((scheme, index) => ({
        name: scheme,
        colour: index === schemes.length - 1 ? COLOUR.hookpipe : COLOUR.bare,
        points: points.filter((p) => p.scheme === scheme).map((p) => ({ x: p.load.value, y: p.cpuMicrosPerMessage })),
      })),
    );
    charts.push(drawn);
    lines.push(
      "## A cost in the way: the ingress's publisher alone",
      '',
      para(
        "The ingress's publisher with no HTTP (bench/publisher-batching.ts): 1 KB messages to the emulator, as many under way as the",
        "load has connections, with the fixed 5 ms batching the ingress had and the adaptive batching. The part of the ingress's CPU",
        'per 2xx that no HTTP or verification work can remove; the cost is per RPC, so messages per RPC decide it.',
      ),
      '',
      ...table(
        ['publishes in flight', 'batching', 'CPU µs/message', 'p50 / p99 ms', 'messages/s', 'messages per RPC'],
        points.map((p) => [
          p.load.value,
          p.scheme,
          p.cpuMicrosPerMessage,
          `${p.p50Ms} / ${p.p99Ms}`,
          num(p.messagesPerSecond),
          num(p.meanBatch),
        ]),
      ),
      '',
      image(drawn),
      '',
    );
  }

  if (run.heaviest) {
    const o = run.heaviest;
    lines.push(
      `## The heaviest load, every 2xx checked on the topic: ${o.connections} connections (1 KB)`,
      '',
      para(
        "The same load as the curve's last point, with a subscriber counting the messages on the topic",
        "(it costs the emulator CPU, so the 2xx/s here is below the curve's).",
        `${num(o.twoxxPerSecond)} 2xx/s; ${num(o.twoxx)} answered 2xx, ${num(o.status503)} 503,`,
        `${o.otherNon2xx} other non-2xx, ${o.errors} connection errors; p50 ${o.latency.p50} ms, p99 ${o.latency.p99} ms;`,
        `peak RSS ${o.peakRssMB} MB. Messages seen on the topic: ${num(o.publishedSeen)}; 2xx without a published message:`,
        `${o.twoxxWithoutPublish} (${mark(o.twoxxWithoutPublish === 0)}: never a 2xx before Pub/Sub confirmed).`,
      ),
      '',
    );
  }

  if (run.e2e) {
    const e = run.e2e;
    const cpu = e.burst.cpuMicrosPerEvent;
    const drawn = chart('e2e-latency.svg', 'End to end: ingress 202 to processed ledger entry', 'events offered per second', 'ms', [
      { name: 'p50', colour: COLOUR.hookpipe, points: e.fixedRates.map((f) => ({ x: f.offered, y: f.p50 })) },
      { name: 'p99', colour: COLOUR.hookpipe, dashed: true, points: e.fixedRates.map((f) => ({ x: f.offered, y: f.p99 })) },
    ]);
    charts.push(drawn);
    lines.push(
      '## End to end: the ingress accepting to a processed ledger entry',
      '',
      para(
        'The ingress, the Pub/Sub emulator pushing to the processor, the processor with a no-op handler',
        'and its ledger in the Firestore emulator.',
        `A burst of ${num(e.burst.events)} webhooks (each a new delivery): **${num(e.burst.eventsPerSecond)} events/s**`,
        `(${e.burst.seconds} s from the first request to the last ledger entry). CPU per processed event over the burst:`,
        `ingress ${cpu.ingress} µs, processor ${cpu.processor} µs, Pub/Sub emulator ${num(cpu.pubsubEmulator)} µs,`,
        `Firestore emulator ${num(cpu.firestoreEmulator)} µs.`,
        'The latency below is from the ingress accepting (receivedAt) to the ledger entry (processedAt), at fixed rates.',
      ),
      '',
      ...table(
        ['offered events/s', 'events', 'p50 ms', 'p99 ms'],
        e.fixedRates.map((f) => [f.offered, f.events, f.p50, f.p99]),
      ),
      '',
      image(drawn),
      '',
    );
  }

  lines.push(...capacitySection(run));
  lines.push('## For the README', '', ...readmeTable(run), '');
  if (run.phaseSeconds) {
    const phases = Object.entries(run.phaseSeconds).map(([name, seconds]) => `${name} ${seconds} s`);
    lines.push(`Wall-clock time per phase: ${phases.join(', ')}.`, '');
  }
  return { markdown: lines.join('\n'), charts };
}

/** Writes report.md and the charts beside results.json. */
export function writeReport(run: BenchRun, resultsPath: string): string {
  const dir = dirname(resultsPath);
  const { markdown, charts } = renderReport(run);
  for (const c of charts) writeFileSync(join(dir, c.file), c.svg);
  writeFileSync(join(dir, 'report.md'), markdown);
  return markdown;
}

if (import.meta.main) {
  const path = process.argv[2];
  if (!path) throw new Error('usage: node bench/report.ts bench/results/<date>/results.json');
  const run = JSON.parse(readFileSync(path, 'utf8')) as BenchRun;
  const markdown = writeReport(run, path);
  process.stdout.write(`${markdown}\nwritten: ${join(dirname(path), 'report.md')}\n`);
}
