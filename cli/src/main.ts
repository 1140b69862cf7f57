// The `hookpipe` command line. Subcommands are small modules; this file only routes and prints. A mistake in how it
// was called (a bad flag, a bad setting) is one line on stderr and exit code 2; an operation refused or failed with
// a reason of hookpipe's own (an HttpError) is that reason and exit code 1.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadSources } from '../../ingress/src/providers/index.ts';
import { readConfig } from '../../shared/src/config.ts';
import { ConfigError, HttpError } from '../../shared/src/errors.ts';
import { LOCAL_SOURCES, SETTINGS } from '../../shared/src/settings.ts';
import { dlqCommand, eventsCommand, seekCommand, statsCommand } from './ops-commands.ts';
import { send } from './send.ts';
import { UsageError } from './usage.ts';

/** What `send` reads from the environment, as shared/src/settings.ts declares it; next to `npm start` by default. */
const sendSettings = z.object({
  HOOKPIPE_SOURCES: SETTINGS.HOOKPIPE_SOURCES.default(LOCAL_SOURCES),
  HOOKPIPE_INGRESS_URL: SETTINGS.HOOKPIPE_INGRESS_URL,
});

const USAGE = `usage: hookpipe <command> [options]

commands:
  send <source>   sign a sample payload as the source's provider does and POST it to the ingress
      --file <path>          send this body instead of the sample
      --event <type>         event type for the sample (e.g. payment_intent.payment_failed)
      --content-type <type>  content type of --file (default application/json)
      --resend               send the same event as last time again (same id and body), as a provider's retry would
      --secret <secret>      sign with this secret instead of the source's own
      --url <url>            ingress base URL (default $HOOKPIPE_INGRESS_URL or http://localhost:8080)
      --sources <path>       sources file (default $HOOKPIPE_SOURCES or ${LOCAL_SOURCES})

  dlq list        show dead-lettered messages without consuming them
  dlq redrive     send dead letters back to the events topic; asks first (--yes to skip, --dry-run only counts)
                  (also \`dlq replay\`)
      --source <name>  --event-type <glob>  --error-class <name>  --delivery-id <id> (repeatable)
      --since <time>   --until <time>       --limit <n>   (times: ISO dates or ages such as 30m, 2h, 7d)
      --show-body (list)   --rate <n per second> (redrive)   --json

  seek --since <time> [--force] [--yes]
                  seek the processor's subscription back: Pub/Sub redelivers everything published since then;
                  events already processed become duplicates unless --force runs their handlers again
                  (also \`replay --since\`)

  events list     the ledger: --status --source --event-type --resource --since --until --limit --json
  events show <deliveryId>

  stats [--since <time>] [--until <time>] [--source <name>] [--json]
                  events by status and by source over a window (default the last hour), per minute or more, the
                  slowest sources and the dead letters waiting: the admin page's Overview; --json prints it as JSON

The operations find Pub/Sub and Firestore through GOOGLE_CLOUD_PROJECT (and the emulator variables); next to a
running \`npm start\` they find its emulators by themselves.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'send') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        file: { type: 'string' },
        event: { type: 'string' },
        'content-type': { type: 'string' },
        secret: { type: 'string' },
        resend: { type: 'boolean' },
        url: { type: 'string' },
        sources: { type: 'string' },
      },
    });
    const name = positionals[0];
    if (!name) throw new UsageError('send needs a source name, e.g. `hookpipe send stripe`');
    const settings = readConfig(sendSettings);
    const sources = loadSources(values.sources ?? settings.HOOKPIPE_SOURCES);
    const source = sources.find((s) => s.name === name);
    if (!source) throw new UsageError(`no source "${name}"; the sources are: ${sources.map((s) => s.name).join(', ')}`);
    const ingressUrl = values.url ?? settings.HOOKPIPE_INGRESS_URL;
    const result = await send({
      source,
      ingressUrl,
      file: values.file,
      eventType: values.event,
      contentType: values['content-type'],
      secret: values.secret,
      resend: values.resend,
      stateDir: '.hookpipe',
    });
    process.stdout.write(`${result.status} ${result.text}\n`);
    return result.status >= 200 && result.status < 300 ? 0 : 1;
  }
  if (command === 'dlq') return dlqCommand(rest);
  if (command === 'seek' || command === 'replay') return seekCommand(rest, command);
  if (command === 'events') return eventsCommand(rest);
  if (command === 'stats') return statsCommand(rest);
  throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`hookpipe: ${(error as Error).message}\n`);
    process.exitCode = 2;
  } else if (error instanceof HttpError) {
    // The operator's own machine: what the client libraries said is shown too, after hookpipe's reason.
    const causes = error.cause instanceof AggregateError ? error.cause.errors : error.cause instanceof Error ? [error.cause] : [];
    const detail = causes.map((cause: Error) => cause.message).join('; ');
    process.stderr.write(`hookpipe: ${error.message}${detail ? ` (${detail})` : ''}\n`);
    process.exitCode = 1;
  } else if ((error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') {
    process.stderr.write(`hookpipe: nothing answers at the ingress URL; is the stack running (npm start)?\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
