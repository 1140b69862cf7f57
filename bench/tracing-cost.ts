// `npm run bench:tracing`: what issue 13's tracing costs the ingress, measured beside the ingress as it was before the
// issue (a git ref, extracted to a temporary directory; the working tree is never touched), in one run on one Pub/Sub
// emulator, as ratios of CPU per 2xx with the run's own noise beside them (bench/noise.ts). Variants: the baseline,
// the baseline again in a second process (the A/A: what "no difference" measures), the current ingress with
// HOOKPIPE_TRACING=off, the current ingress with HOOKPIPE_TRACING=cloud-trace (see ON), and any --variant. Points: 10
// and 250 connections with 1 KB bodies, 50 with 64 KB (never more connections than infra's concurrency per instance).
// Writes bench/results/<date>-tracing/report.md (and results.json) and prints the report. It measures and reports;
// nothing here passes or fails a build.
//
//   npm run bench:tracing                        about 7 minutes on 2 cores
//   npm run bench:tracing -- --quick             a smoke run, about 75 s, written under bench/results/tmp/
//   --baseline <ref>   the ingress to compare with (default 347de7e, the last commit before issue 13)
//   --skip-on          leave out the tracing-on variant (a quarter less time)
//   --variant 'name:K=V,K=V'   one more variant of the current ingress with these settings (repeatable); adds ~1.7 min
//   --rounds N --duration S --warmup S   per point: N rounds of S seconds per variant, after one warm-up of S seconds
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PubSub } from '@google-cloud/pubsub';
import { LOCAL_PROJECT, startEmulator } from '../scripts/emulators.ts';
import { readDeployed } from './deployed.ts';
import { checkAnswers, ingressEnv, measurePoint, runLoad, type Server, startServer } from './harness.ts';
import { peakRssBytes } from './proc.ts';
import { LARGE, SMALL } from './report.ts';
import { BASELINE, BASELINE_AA, renderTracingReport, type TracingPoint, type TracingRun, type Variant } from './tracing-report.ts';

const { values: flags } = parseArgs({
  options: {
    baseline: { type: 'string', default: '347de7e' },
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    variant: { type: 'string', multiple: true, default: [] },
    'skip-on': { type: 'boolean', default: false },
  },
});
const quick = flags.quick;
const ROUNDS = Number(flags.rounds ?? (quick ? 2 : 4));
const DURATION = Number(flags.duration ?? (quick ? 2 : 6));
const WARMUP = Number(flags.warmup ?? (quick ? 0 : 2));
const JIT_WARMUP = quick ? 1 : 5;
if (![ROUNDS, DURATION, WARMUP].every((n) => Number.isInteger(n) && n >= 0) || ROUNDS < 2 || DURATION < 1) {
  throw new Error('--rounds must be at least 2 (a spread needs two), --duration at least 1, --warmup at least 0, all whole numbers');
}

const say = (text: string) => process.stderr.write(`${text}\n`);
const git = (...args: string[]) => {
  const out = spawnSync('git', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (out.status !== 0) throw new Error(`git ${args.join(' ')}: ${out.stderr.trim()}`);
  return out.stdout.trimEnd(); // not the start: a porcelain status line begins with a space
};

/**
 * The trace context Cloud Run's front end puts on every request (https://cloud.google.com/run/docs/trace), in the W3C
 * and Google formats (https://cloud.google.com/trace/docs/trace-context), so that the ingress's propagation runs as in
 * production. Cloud Run samples at most 0.1 request per second per instance, so nearly every request arrives unsampled,
 * as these do.
 */
function traceHeaders(): Record<string, string> {
  const [traceId, spanId] = [randomBytes(16).toString('hex'), randomBytes(8)];
  return {
    traceparent: `00-${traceId}-${spanId.toString('hex')}-00`,
    'x-cloud-trace-context': `${traceId}/${spanId.readBigUInt64BE()};o=0`,
  };
}

/**
 * Tracing on, as deployed, with no network: the SDK follows the parent's sampled flag (shared/src/tracing-sdk.ts), and
 * every request here arrives unsampled, so each gets its span context, propagation and log field, no span is recorded
 * and the OTLP exporter is never called. That is the cost of nearly every request on Cloud Run; the recorded
 * few (at most 0.1/s per instance) would add an export this benchmark cannot make without Google.
 */
const ON: Variant = {
  name: 'current, tracing on',
  describe: "working tree, HOOKPIPE_TRACING=cloud-trace, every request unsampled by Cloud Run's flag: no span recorded or exported",
  env: { HOOKPIPE_TRACING: 'cloud-trace' },
};

/** 'name:K=V,K=V' as a variant of the current ingress. */
function parseVariant(spec: string): Variant {
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const pairs =
    colon < 0
      ? []
      : spec
          .slice(colon + 1)
          .split(',')
          .filter(Boolean);
  const env = Object.fromEntries(
    pairs.map((pair) => {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new Error(`--variant ${spec}: '${pair}' is not K=V`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
  if (!name) throw new Error(`--variant ${spec}: a name is needed before the colon`);
  return { name, describe: `working tree, ${pairs.join(', ') || 'no extra settings'}`, env };
}

/** The baseline's files from git, node_modules borrowed from this checkout: nothing in the working tree changes. */
function extractBaseline(ref: string): { dir: string; commit: string; remove(): void } {
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = mkdtempSync(join(tmpdir(), 'hookpipe-baseline-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const archive = spawnSync('git', ['archive', '--format=tar', commit], { maxBuffer: 1 << 30 });
    if (archive.status !== 0) throw new Error(`git archive ${commit}: ${archive.stderr.toString().trim()}`);
    const untar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
    if (untar.status !== 0) throw new Error(`tar: ${untar.stderr.toString().trim()}`);
    symlinkSync(resolve('node_modules'), join(dir, 'node_modules'), 'dir');
  } catch (error) {
    remove();
    throw error;
  }
  return { dir, commit, remove };
}

/** The files the current ingress runs from that differ from HEAD, so the report says what "current" was. */
function uncommitted(): string[] {
  return git('status', '--porcelain', '--', 'ingress', 'shared', 'config', 'package.json')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(3))
    .filter((path) => !path.endsWith('.test.ts'));
}

async function main(): Promise<TracingRun> {
  const started = Date.now();
  const date = new Date().toISOString();
  const loadAverageBefore = Math.round(loadavg()[0]! * 100) / 100;
  if (loadAverageBefore > 0.5) say(`load average ${loadAverageBefore}: other work shares the cores, expect a wide noise band`);
  const deployed = (await readDeployed()).ingress;
  const cap = (connections: number) => Math.min(connections, deployed.concurrency);
  const points: TracingPoint[] = [
    { payloadBytes: SMALL, connections: cap(10), rounds: {} },
    { payloadBytes: SMALL, connections: cap(250), rounds: {} },
    { payloadBytes: LARGE, connections: cap(50), rounds: {} },
  ];
  const headers = traceHeaders();
  const variants: Variant[] = [
    { name: BASELINE, describe: `${flags.baseline}`, env: {} },
    { name: BASELINE_AA, describe: `${flags.baseline} again, a second process`, env: {} },
    { name: 'current, tracing off', describe: 'working tree, HOOKPIPE_TRACING=off', env: {} },
    ...(flags['skip-on'] ? [] : [ON]),
    ...flags.variant.map(parseVariant),
  ];
  const names = variants.map((v) => v.name);
  if (new Set(names).size !== names.length) throw new Error(`each variant needs its own name: ${names.join(', ')}`);
  // Each load process takes about half a second to start; the emulator about ten.
  const loads = variants.length * (1 + points.length * ((WARMUP > 0 ? 1 : 0) + ROUNDS));
  const loadSeconds = variants.length * (JIT_WARMUP + points.length * (WARMUP + ROUNDS * DURATION));
  say(`${variants.length} variants, ${points.length} points: about ${Math.round(loadSeconds + loads / 2 + 10)} s`);

  const baseline = extractBaseline(flags.baseline);
  const roots: Record<string, string> = { [BASELINE]: baseline.dir, [BASELINE_AA]: baseline.dir };
  const emulator = await startEmulator('pubsub').catch((error: unknown) => {
    baseline.remove();
    throw error;
  });
  process.env.PUBSUB_EMULATOR_HOST = emulator.host;
  process.env.GOOGLE_CLOUD_PROJECT = LOCAL_PROJECT;
  process.env.METADATA_SERVER_DETECTION = 'none';
  const pubsub = new PubSub({ projectId: LOCAL_PROJECT });
  const servers = new Map<string, Server>();
  try {
    // A topic without subscriptions: the emulator keeps no message, so it does not slow down as the run goes on.
    const [topic] = await pubsub.createTopic(`bench-tracing-${Date.now()}`);
    const shared = ingressEnv(deployed, topic.name.split('/').pop()!) as Record<string, string>;
    // Every variant gets the same settings; the baseline does not know HOOKPIPE_TRACING and ignores it.
    const env = { ...shared, HOOKPIPE_TRACING: 'off' };
    for (const variant of variants) {
      const root = roots[variant.name] ?? '.';
      try {
        servers.set(
          variant.name,
          await startServer(variant.name, join(root, 'ingress/src/main.ts'), { ...env, ...variant.env }, { cwd: root }),
        );
      } catch (error) {
        variant.failed = `did not start: ${(error as Error).message}`;
        say(`${variant.name} ${variant.failed}`);
      }
    }
    if (!servers.has(BASELINE)) throw new Error('the baseline did not start: nothing to compare with');

    const live = () => variants.filter((v) => !v.failed);
    const attempt = async (variant: Variant, work: (server: Server) => Promise<void>) => {
      const server = servers.get(variant.name)!;
      try {
        if (server.child.exitCode !== null) throw new Error(`its server exited with ${server.child.exitCode}`);
        await work(server);
      } catch (error) {
        variant.failed = (error as Error).message;
        say(`${variant.name} dropped: ${variant.failed}`);
        if (variant.name === BASELINE) throw error;
      }
    };
    // A fresh process runs cold until V8 has optimised its hot paths: first a longer load at middling concurrency, so that
    // the first point does not measure the compiler.
    for (const variant of live()) {
      await attempt(variant, async (server) => {
        const url = `http://127.0.0.1:${server.port}/webhooks/github`;
        checkAnswers(server, await runLoad({ url, payloadBytes: SMALL, connections: 50, headers, durationSeconds: JIT_WARMUP }));
      });
    }
    for (const point of points) {
      const { payloadBytes, connections } = point;
      const load = (server: Server) => ({ url: `http://127.0.0.1:${server.port}/webhooks/github`, payloadBytes, connections, headers });
      for (const variant of live()) {
        await attempt(variant, async (server) => {
          if (WARMUP > 0) checkAnswers(server, await runLoad({ ...load(server), durationSeconds: WARMUP }));
        });
      }
      for (let round = 0; round < ROUNDS; round++) {
        const order = live();
        // Rotated each round, so that no variant always follows the same one.
        for (const variant of [...order.slice(round % order.length), ...order.slice(0, round % order.length)]) {
          await attempt(variant, async (server) => {
            const measured = await measurePoint(server, { ...load(server), warmupSeconds: 0, durationSeconds: DURATION });
            point.rounds[variant.name] = [...(point.rounds[variant.name] ?? []), measured];
            say(
              `${connections} conn, ${payloadBytes} B, round ${round + 1}, ${variant.name}: ${measured.cpuMicrosPer2xx} µs CPU/2xx, ` +
                `${measured.twoxxPerSecond} 2xx/s, p50/p99 ${measured.latency.p50}/${measured.latency.p99} ms, ${measured.non2xx} non-2xx`,
            );
          });
        }
      }
    }
    for (const variant of variants) {
      const server = servers.get(variant.name);
      if (server && server.child.exitCode === null) variant.peakRssMB = Math.round(peakRssBytes(server.child.pid!) / 2 ** 20);
    }
    return {
      date,
      machine: {
        cores: availableParallelism(),
        cpu: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        loadAverageBefore,
        loadAverageAfter: Math.round(loadavg()[0]! * 100) / 100,
      },
      baseline: { ref: flags.baseline, commit: baseline.commit },
      current: { commit: git('rev-parse', '--short', 'HEAD'), uncommitted: uncommitted() },
      deployedConcurrency: deployed.concurrency,
      sharedEnv: Object.fromEntries(Object.entries(env).filter(([k]) => !k.endsWith('_SECRET') && k !== 'HOOKPIPE_TOPIC')),
      traceHeaders: headers,
      settings: { rounds: ROUNDS, durationSeconds: DURATION, warmupSeconds: WARMUP, quick },
      variants,
      points,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()));
    await pubsub.close();
    await emulator.stop();
    baseline.remove();
  }
}

const run = await main();
// A smoke run is no measurement: it goes where git ignores it.
const dir = `bench/results/${quick ? 'tmp/' : ''}${run.date.slice(0, 19).replaceAll(':', '-')}-tracing`;
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}/results.json`, `${JSON.stringify(run, null, 2)}\n`);
const markdown = renderTracingReport(run);
writeFileSync(`${dir}/report.md`, markdown);
process.stdout.write(`${markdown}\nwritten: ${dir}/report.md and results.json\n`);
process.exit(0);
