// The operations' flags, through the CLI's own entry (`node cli/src/main.ts ...`): a bad value is a usage error
// naming the flag and why, exit 2, checked with the same schemas as the admin API and before anything is opened.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const MAIN = resolve('cli/src/main.ts');
// Nowhere to connect to: a command that got past its flags would fail on the network, not with exit 2.
const UNREACHABLE = { PUBSUB_EMULATOR_HOST: '127.0.0.1:9', FIRESTORE_EMULATOR_HOST: '127.0.0.1:9', METADATA_SERVER_DETECTION: 'none' };

/** Runs the CLI in an empty folder (no `.hookpipe/local.json` to find), with only the given environment. */
function hookpipe(args: string[], env: NodeJS.ProcessEnv = { GOOGLE_CLOUD_PROJECT: 'hookpipe-local' }) {
  const cwd = mkdtempSync(join(tmpdir(), 'hookpipe-cli-'));
  const run = spawnSync(process.execPath, [MAIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...UNREACHABLE, ...env },
    timeout: 30_000,
  });
  return { code: run.status, stderr: run.stderr, stdout: run.stdout };
}

/** A usage error: one line per problem on stderr, no stack, exit 2. */
function assertUsageError(run: ReturnType<typeof hookpipe>, pattern: RegExp) {
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, pattern);
  assert.doesNotMatch(run.stderr, /ZodError|\n\s+at /, 'no stack trace');
}

test('`events list --status bogus` and `--limit 5000` are usage errors naming the flag, not a ZodError stack', () => {
  assertUsageError(
    hookpipe(['events', 'list', '--status', 'bogus']),
    /^hookpipe: --status: Invalid option: expected one of "processing"\|/,
  );
  assertUsageError(hookpipe(['events', 'list', '--limit', '5000']), /^hookpipe: --limit: Too big: expected number to be <=1000/);
  assertUsageError(hookpipe(['events', 'list', '--since', 'last tuesday']), /"last tuesday" is not a time/);
});

test('the dead-letter and seek flags are checked by the same schemas as the admin API', () => {
  assertUsageError(hookpipe(['dlq', 'list', '--limit', '0']), /^hookpipe: --limit: Too small/);
  assertUsageError(hookpipe(['dlq', 'redrive', '--rate', 'fast', '--yes']), /^hookpipe: --rate: Invalid input: expected number/);
  assertUsageError(hookpipe(['dlq', 'replay', '--limit', '1.5', '--yes']), /^hookpipe: --limit: Invalid input: expected int/);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
  assertUsageError(hookpipe(['seek', '--since', tomorrow, '--yes']), /^hookpipe: --since: must not be in the future/);
  assertUsageError(hookpipe(['replay', '--since', tomorrow, '--yes']), /^hookpipe: --since: must not be in the future/);
});

test('without a project the operations stop with the configuration error the services give, exit 2', () => {
  const run = hookpipe(['events', 'list'], {});
  assertUsageError(run, /^hookpipe: configuration is not valid:\n {2}- GOOGLE_CLOUD_PROJECT: set it to the project hookpipe runs in/);
});

test('`stats` flags are checked by the schema the admin API uses: a bad one is a usage error naming it', () => {
  assertUsageError(hookpipe(['stats', '--since', '1h', '--until', '2h']), /^hookpipe: --since: must be before until/);
  assertUsageError(hookpipe(['stats', '--since', '60d']), /^hookpipe: --since: the window must be at most 31 days/);
  assertUsageError(hookpipe(['stats', '--until', 'soon']), /"soon" is not a time/);
  assertUsageError(hookpipe(['stats', '--source', '']), /^hookpipe: --source: Too small/);
  assertUsageError(hookpipe(['stats', '--limit', '5']), /Unknown option '--limit'/);
});
