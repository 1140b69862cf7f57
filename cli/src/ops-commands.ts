// `hookpipe dlq list|replay`, `hookpipe replay --since`, `hookpipe events list|show`: thin wrappers over the same
// operations the admin API serves (processor/src/ops).
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Firestore } from '@google-cloud/firestore';
import { createLogger } from '../../shared/src/logger.ts';
import { createPubSub } from '../../shared/src/pubsub.ts';
import { openOps, readOpsConfig, type Ops } from '../../processor/src/ops/context.ts';
import type { DeadLetterFilter } from '../../processor/src/ops/dead-letter-view.ts';
import { findEvent, listEvents } from '../../processor/src/ops/events.ts';
import { seekReplay } from '../../processor/src/ops/seek.ts';
import { ask, parseTime, progressBar, table } from './terminal.ts';
import { UsageError } from './usage.ts';

export const LOCAL_STATE = '.hookpipe/local.json';

/** The environment, completed by what `npm start` wrote about its emulators when nothing else is set. */
export function opsEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env.PUBSUB_EMULATOR_HOST || env.GOOGLE_CLOUD_PROJECT || !existsSync(LOCAL_STATE)) return env;
  const local = JSON.parse(readFileSync(LOCAL_STATE, 'utf8')) as Record<string, string>;
  return { METADATA_SERVER_DETECTION: 'none', ...local, ...env };
}

async function withOps<T>(run: (ops: Ops) => Promise<T>): Promise<T> {
  const env = opsEnvironment();
  for (const key of ['PUBSUB_EMULATOR_HOST', 'FIRESTORE_EMULATOR_HOST', 'METADATA_SERVER_DETECTION'] as const) {
    if (env[key] !== undefined) process.env[key] = env[key];
  }
  let config;
  try {
    config = readOpsConfig(env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
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

function filterFrom(values: { source?: string; 'event-type'?: string; 'error-class'?: string; 'delivery-id'?: string[]; since?: string; until?: string }): DeadLetterFilter {
  return {
    ...(values.source ? { source: values.source } : {}),
    ...(values['event-type'] ? { eventType: values['event-type'] } : {}),
    ...(values['error-class'] ? { errorClass: values['error-class'] } : {}),
    ...(values['delivery-id']?.length ? { deliveryIds: values['delivery-id'] } : {}),
    ...(values.since ? { since: parseTime(values.since) } : {}),
    ...(values.until ? { until: parseTime(values.until) } : {}),
  };
}

function positiveInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} takes a whole number above 0`);
  return value;
}

function positiveNumber(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} takes a number above 0`);
  return value;
}

const out = (text: string) => process.stdout.write(`${text}\n`);

export async function dlqCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'list') {
    const { values } = parseArgs({ args: rest, options: { ...FILTER_OPTIONS, 'show-body': { type: 'boolean' } } });
    const filter = filterFrom(values);
    const limit = positiveInt(values.limit, '--limit');
    const result = await withOps((ops) => ops.deadLetters.list(filter, { limit, showBody: values['show-body'] ?? false }));
    if (values.json) return out(JSON.stringify(result, null, 2)), 0;
    if (result.items.length === 0 && result.matched === 0) return out(`no dead letters match (${result.scanned} in the subscription)`), 0;
    out(table(result.items as never, ['deliveryId', 'source', 'eventType', 'errorClass', 'errorMessage', 'attempts', 'replayCount', 'deadLetteredAt', 'size']));
    if (values['show-body']) for (const item of result.items) out(`\n--- ${item.deliveryId}\n${item.body ?? ''}`);
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
  if (sub === 'replay') {
    const { values } = parseArgs({
      args: rest,
      options: { ...FILTER_OPTIONS, rate: { type: 'string' }, 'dry-run': { type: 'boolean' }, yes: { type: 'boolean' } },
    });
    const filter = filterFrom(values);
    const summary = await withOps((ops) =>
      ops.deadLetters.replay({
        filter,
        limit: positiveInt(values.limit, '--limit'),
        rate: positiveNumber(values.rate, '--rate'),
        dryRun: values['dry-run'],
        maxReplays: ops.config.HOOKPIPE_MAX_REPLAYS,
        confirm: values.yes ? undefined : (count) => (count === 0 ? Promise.resolve(false) : ask(`Replay ${count} dead letter(s) to ${ops.config.HOOKPIPE_TOPIC}?`)),
        onProgress: values.json ? undefined : progressBar(process.stderr),
      }),
    );
    const code = summary.failed > 0 || summary.ackFailed > 0 ? 1 : 0;
    if (values.json) {
      const { matched, replayed, ackFailed, failed, skipped, refused, failures, dryRun } = summary;
      return out(JSON.stringify({ matched, replayed, ackFailed, failed, skipped, refused, failures, dryRun })), code;
    }
    for (const refusal of summary.refused) out(`refused ${refusal.deliveryId ?? refusal.messageId}: ${refusal.reason}`);
    for (const failure of summary.failures) {
      const what = failure.stage === 'ack' ? 'republished but not acked' : 'not republished';
      out(`${what} ${failure.deliveryId ?? failure.messageId}: ${failure.error.message}`);
    }
    if (summary.dryRun) out(`dry run: ${summary.matched - summary.skipped} of ${summary.scanned} dead letter(s) would be replayed; nothing changed`);
    else if (!summary.confirmed) out('nothing replayed');
    else {
      out(
        `replayed ${summary.replayed}, republished but not acked ${summary.ackFailed}, failed ${summary.failed}, ` +
          `skipped ${summary.skipped} (matched ${summary.matched} of ${summary.scanned})`,
      );
      if (summary.ackFailed > 0) {
        out('what was republished but not acked is still a dead letter; replaying it again is safe (the ledger makes it a duplicate)');
      }
    }
    return code;
  }
  throw new UsageError('usage: hookpipe dlq list|replay [filters]');
}

export async function seekCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { since: { type: 'string' }, force: { type: 'boolean' }, yes: { type: 'boolean' } } });
  if (!values.since) throw new UsageError('usage: hookpipe replay --since <time> [--force] [--yes]');
  const since = parseTime(values.since);
  return withOps(async (ops) => {
    const subscription = ops.config.HOOKPIPE_PUSH_SUBSCRIPTION;
    const what = values.force ? 'and run the handlers again for events already processed' : '(events already processed become duplicates)';
    if (!values.yes && !(await ask(`Redeliver everything published to ${subscription} since ${since.toISOString()} ${what}?`))) {
      out('nothing done');
      return 0;
    }
    const result = await seekReplay({ pubsub: ops.pubsub, firestore: ops.firestore, subscription, since, force: values.force ?? false });
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
    const items = await withOps((ops) =>
      listEvents(ops.firestore, ops.config.HOOKPIPE_LEDGER_COLLECTION, {
        status: values.status as never,
        source: values.source,
        eventType: values['event-type'],
        resourceKey: values.resource,
        since: values.since ? parseTime(values.since) : undefined,
        until: values.until ? parseTime(values.until) : undefined,
        limit: positiveInt(values.limit, '--limit') ?? 50,
      }),
    );
    if (values.json) return out(JSON.stringify(items, null, 2)), 0;
    const rows = items.map((item) => ({ ...item, lastError: item.lastError ? `${item.lastError.class}: ${item.lastError.message}` : '' }));
    out(items.length === 0 ? 'no events match' : table(rows, ['deliveryId', 'source', 'eventType', 'status', 'attempts', 'resourceKey', 'handler', 'lastError', 'updatedAt']));
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
