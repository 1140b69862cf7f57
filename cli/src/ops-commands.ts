// `hookpipe dlq list|redrive`, `hookpipe seek --since`, `hookpipe events list|show`, `hookpipe stats`: thin wrappers over the same
// operations the admin API serves (ops/src). Flags are checked with the operations' own schemas before anything is
// opened, so a bad one is a usage error naming the flag (exit 2), as the admin API answers 400 naming the field.
// The commands' first names still work: `dlq replay` is `dlq redrive`, `replay --since` is `seek --since`.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import { type Ops, openOps, readOpsConfig } from '../../ops/src/context.ts';
import type { DeadLetterFilter } from '../../ops/src/dead-letter-view.ts';
import { EventQuery, findEvent, listEvents } from '../../ops/src/events.ts';
import { ListDeadLettersRequest, RedriveRequest, SeekRequest } from '../../ops/src/requests.ts';
import { seekSubscription } from '../../ops/src/seek.ts';
import { computeStats, StatsQuery } from '../../ops/src/stats.ts';
import { readConfig } from '../../shared/src/config.ts';
import { createLogger } from '../../shared/src/logger.ts';
import { createPubSub } from '../../shared/src/pubsub.ts';
import { PROJECT_SETTINGS, pickSettings, projectIdOf } from '../../shared/src/settings.ts';
import { statsReport } from './stats-report.ts';
import { ask, parseTime, progressBar, table } from './terminal.ts';
import { UsageError } from './usage.ts';

export const LOCAL_STATE = '.hookpipe/local.json';

/** What says where the operations go: an emulator, or a project. */
const target = z.object(pickSettings('PUBSUB_EMULATOR_HOST', ...PROJECT_SETTINGS));

/** The environment, completed by what `npm start` wrote about its emulators when nothing else is set. */
export function opsEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const set = readConfig(target, env);
  if (set.PUBSUB_EMULATOR_HOST || projectIdOf(set) || !existsSync(LOCAL_STATE)) return env;
  const local = JSON.parse(readFileSync(LOCAL_STATE, 'utf8')) as Record<string, string>;
  return { METADATA_SERVER_DETECTION: 'none', ...local, ...env };
}

async function withOps<T>(run: (ops: Ops) => Promise<T>): Promise<T> {
  const env = opsEnvironment();
  // The client libraries read these from the process's own environment, not from a configuration object.
  for (const key of ['PUBSUB_EMULATOR_HOST', 'FIRESTORE_EMULATOR_HOST', 'METADATA_SERVER_DETECTION'] as const) {
    if (env[key] !== undefined) process.env[key] = env[key];
  }
  const config = readOpsConfig(env);
  const pubsub = createPubSub(config.projectId);
  const firestore = new Firestore({ projectId: config.projectId });
  // What goes wrong without failing the command (a lease not given back, an ack refused) is said on stderr.
  const ops = openOps(config, pubsub, firestore, createLogger({ service: 'hookpipe', level: 'warn', destination: process.stderr }));
  try {
    return await run(ops);
  } finally {
    await ops.close();
    await Promise.all([pubsub.close(), firestore.terminate()]);
  }
}

/** The flag each field of the operations' schemas comes from, where it is not `--<field>`. */
const FLAGS: Record<string, string> = {
  eventType: '--event-type',
  errorClass: '--error-class',
  deliveryIds: '--delivery-id',
  resourceKey: '--resource',
  showBody: '--show-body',
  dryRun: '--dry-run',
};

/** Flags checked with an operation's schema; what does not pass is a usage error naming each flag and why. */
export function checkFlags<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.findLast((part): part is string => typeof part === 'string') ?? '';
    return `${FLAGS[field] ?? `--${field}`}: ${issue.message}`;
  });
  throw new UsageError(problems.join('\n'));
}

const FILTER_OPTIONS = {
  source: { type: 'string' },
  'event-type': { type: 'string' },
  'error-class': { type: 'string' },
  'delivery-id': { type: 'string', multiple: true },
  since: { type: 'string' },
  until: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type FilterFlags = {
  source?: string;
  'event-type'?: string;
  'error-class'?: string;
  'delivery-id'?: string[];
  since?: string;
  until?: string;
};

/** The filter as the flags give it; times may be ages (`2h`), turned into dates here. */
function filterFrom(values: FilterFlags): Partial<Record<keyof DeadLetterFilter, unknown>> {
  return {
    source: values.source,
    eventType: values['event-type'],
    errorClass: values['error-class'],
    deliveryIds: values['delivery-id']?.length ? values['delivery-id'] : undefined,
    since: values.since === undefined ? undefined : parseTime(values.since),
    until: values.until === undefined ? undefined : parseTime(values.until),
  };
}

const out = (text: string) => process.stdout.write(`${text}\n`);

async function listDeadLetters(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...FILTER_OPTIONS, 'show-body': { type: 'boolean' } } });
  const { limit, showBody, ...filter } = checkFlags(ListDeadLettersRequest, {
    ...filterFrom(values),
    limit: values.limit,
    showBody: values['show-body'],
  });
  const result = await withOps((ops) => ops.deadLetters.list(filter, { limit, showBody }));
  if (values.json) {
    out(JSON.stringify(result, null, 2));
    return 0;
  }
  if (result.items.length === 0 && result.matched === 0) {
    out(`no dead letters match (${result.scanned} in the subscription)`);
    return 0;
  }
  const columns = ['deliveryId', 'source', 'eventType', 'errorClass', 'errorMessage', 'attempts', 'replayCount', 'deadLetteredAt', 'size'];
  out(table(result.items as never, columns));
  if (showBody) for (const item of result.items) out(`\n--- ${item.deliveryId}\n${item.body ?? ''}`);
  out(`\n${result.items.length} shown of ${result.matched} matching, ${result.scanned} dead letter(s) looked at; nothing was consumed`);
  if (result.items.length < result.matched) {
    out('not all are shown: the listing holds at most a bounded amount (narrow the filter, or leave out --show-body)');
  }
  if (result.oversizedPulls > 0) out('some dead letters were too large to pull together and stay hidden for about a minute: list again');
  else if (result.more && result.items.length === result.matched) {
    out(`the scan stopped after ${result.scanned} dead letters: narrow the filter to see the rest`);
  }
  return 0;
}

async function redriveDeadLetters(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...FILTER_OPTIONS, rate: { type: 'string' }, 'dry-run': { type: 'boolean' }, yes: { type: 'boolean' } },
  });
  const request = checkFlags(RedriveRequest, {
    filter: filterFrom(values),
    limit: values.limit,
    rate: values.rate,
    dryRun: values['dry-run'],
  });
  const summary = await withOps((ops) =>
    ops.deadLetters.redrive({
      ...request,
      maxReplays: ops.config.HOOKPIPE_MAX_REPLAYS,
      confirm: values.yes
        ? undefined
        : (count) => (count === 0 ? Promise.resolve(false) : ask(`Redrive ${count} dead letter(s) to ${ops.config.HOOKPIPE_TOPIC}?`)),
      onProgress: values.json ? undefined : progressBar(process.stderr),
    }),
  );
  const code = summary.failed > 0 || summary.ackFailed > 0 ? 1 : 0;
  if (values.json) {
    const { matched, replayed, ackFailed, failed, skipped, refused, failures, dryRun } = summary;
    out(JSON.stringify({ matched, replayed, ackFailed, failed, skipped, refused, failures, dryRun }));
    return code;
  }
  for (const refusal of summary.refused) out(`refused ${refusal.deliveryId ?? refusal.messageId}: ${refusal.reason}`);
  for (const failure of summary.failures) {
    const what = failure.stage === 'ack' ? 'republished but not acked' : 'not republished';
    out(`${what} ${failure.deliveryId ?? failure.messageId}: ${failure.error.class}: ${failure.error.message}`);
  }
  if (summary.dryRun)
    out(`dry run: ${summary.matched - summary.skipped} of ${summary.scanned} dead letter(s) would be redriven; nothing changed`);
  else if (!summary.confirmed) out('nothing redriven');
  else {
    out(
      `redriven ${summary.replayed}, republished but not acked ${summary.ackFailed}, failed ${summary.failed}, ` +
        `skipped ${summary.skipped} (matched ${summary.matched} of ${summary.scanned})`,
    );
    if (summary.ackFailed > 0) {
      out('what was republished but not acked is still a dead letter; redriving it again is safe (the ledger makes it a duplicate)');
    }
  }
  return code;
}

export async function dlqCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'list') return listDeadLetters(rest);
  if (sub === 'redrive' || sub === 'replay') return redriveDeadLetters(rest);
  throw new UsageError('usage: hookpipe dlq list|redrive [filters]');
}

export async function seekCommand(args: string[], name = 'seek'): Promise<number> {
  const { values } = parseArgs({ args, options: { since: { type: 'string' }, force: { type: 'boolean' }, yes: { type: 'boolean' } } });
  if (!values.since) throw new UsageError(`usage: hookpipe ${name} --since <time> [--force] [--yes]`);
  const { since, force } = checkFlags(SeekRequest, { since: parseTime(values.since), force: values.force });
  return withOps(async (ops) => {
    const subscription = ops.config.HOOKPIPE_PUSH_SUBSCRIPTION;
    const what = force ? 'and run the handlers again for events already processed' : '(events already processed become duplicates)';
    if (!values.yes && !(await ask(`Redeliver everything published to ${subscription} since ${since.toISOString()} ${what}?`))) {
      out('nothing done');
      return 0;
    }
    const result = await seekSubscription({ pubsub: ops.pubsub, firestore: ops.firestore, subscription, since, force });
    out(`${subscription} sought back to ${since.toISOString()}: Pub/Sub is redelivering`);
    if (result.window) {
      const { createdAt, expireAt, requestId } = result.window;
      out(`forced: events settled before ${createdAt.toISOString()} run again once, until ${expireAt.toISOString()}`);
      out(`(force window ${requestId})`);
    }
    return 0;
  });
}

export async function eventsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'list') {
    const { values } = parseArgs({
      args: rest,
      options: {
        status: { type: 'string' },
        source: { type: 'string' },
        'event-type': { type: 'string' },
        resource: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    const query = checkFlags(EventQuery, {
      status: values.status,
      source: values.source,
      eventType: values['event-type'],
      resourceKey: values.resource,
      since: values.since === undefined ? undefined : parseTime(values.since),
      until: values.until === undefined ? undefined : parseTime(values.until),
      limit: values.limit,
    });
    const items = await withOps((ops) => listEvents(ops.firestore, ops.config.HOOKPIPE_LEDGER_COLLECTION, query));
    if (values.json) {
      out(JSON.stringify(items, null, 2));
      return 0;
    }
    const rows = items.map((item) => ({ ...item, lastError: item.lastError ? `${item.lastError.class}: ${item.lastError.message}` : '' }));
    const columns = ['deliveryId', 'source', 'eventType', 'status', 'attempts', 'resourceKey', 'handler', 'lastError', 'updatedAt'];
    out(items.length === 0 ? 'no events match' : table(rows, columns));
    return 0;
  }
  if (sub === 'show') {
    const id = rest[0];
    if (!id) throw new UsageError('usage: hookpipe events show <deliveryId>');
    const items = await withOps((ops) => findEvent(ops.firestore, ops.config.HOOKPIPE_LEDGER_COLLECTION, id));
    if (items.length === 0) {
      out(`no event ${id} in the ledger`);
      return 1;
    }
    out(JSON.stringify(items.length === 1 ? items[0] : items, null, 2));
    return 0;
  }
  throw new UsageError('usage: hookpipe events list|show');
}

/** `hookpipe stats`: the admin page's Overview numbers (ops/src/stats.ts), as tables or as the Stats object (--json). */
export async function statsCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { since: { type: 'string' }, until: { type: 'string' }, source: { type: 'string' }, json: { type: 'boolean' } },
  });
  const query = checkFlags(StatsQuery, {
    since: values.since === undefined ? undefined : parseTime(values.since),
    until: values.until === undefined ? undefined : parseTime(values.until),
    source: values.source,
  });
  const stats = await withOps((ops) => computeStats(ops.firestore, ops.config.HOOKPIPE_LEDGER_COLLECTION, ops.deadLetters, query));
  out(values.json ? JSON.stringify(stats, null, 2) : statsReport(stats));
  return 0;
}
