// `npm test`: type-checks, starts the emulators the integration tests need (unless they are already pointed at
// some), runs every *.test.ts with Node's test runner, and stops the emulators again whatever happened.
import { spawn } from 'node:child_process';
import { type Dirent, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildAdminUi } from './build-admin.ts';
import { type Emulator, LOCAL_PROJECT, startEmulator } from './emulators.ts';

const ROOTS = ['shared', 'ingress', 'processor', 'ops', 'cli', 'scripts', 'infra', 'bench', 'test'];
const SKIP = new Set(['node_modules', 'dist', '.tools', '.git']);

function findTests(dir: string, out: string[] = [], suffix = '.test.ts'): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) findTests(path, out, suffix);
    else if (entry.name.endsWith(suffix)) out.push(path);
  }
  return out;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

// `npm run test:reliability` runs the reliability scenarios (test/reliability/*.reliability.ts) instead.
const reliability = process.argv.includes('--reliability');
// Node's own test options are passed on, `--test-name-pattern=<regex>` to run one test alone; other arguments pick files.
const args = process.argv.slice(2).filter((arg) => arg !== '--reliability');
const testOptions = args.filter((arg) => arg.startsWith('--test-'));
const filters = args.filter((arg) => !arg.startsWith('--test-'));
const files = (reliability ? findTests('test/reliability', [], '.reliability.ts') : ROOTS.flatMap((root) => findTests(root))).filter(
  (file) => filters.length === 0 || filters.some((f) => file.includes(f)),
);
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

if (filters.length === 0 && !reliability) {
  // Lint and format first (Biome: one fast tool for both), then types: a violation fails the run before any test.
  const lint = await run(process.execPath, ['node_modules/@biomejs/biome/bin/biome', 'check', '.'], process.env);
  if (lint !== 0) process.exit(lint);
  // Two programs: the services' (no DOM types, so browser globals are errors there) and the admin page's (DOM types).
  for (const project of ['tsconfig.json', 'processor/admin-ui/tsconfig.json']) {
    const typecheck = await run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', project], process.env);
    if (typecheck !== 0) process.exit(typecheck);
  }
}

// Every processor a test starts serves the admin page, and stops at start-up without its bundle: built first.
const ui = await buildAdminUi();
console.log(`admin page built in ${ui.milliseconds.toFixed(0)} ms (${ui.files.map((f) => f.name).join(', ')})`);

const emulators: Emulator[] = [];
const env: NodeJS.ProcessEnv = {
  ...process.env,
  GOOGLE_CLOUD_PROJECT: process.env.GOOGLE_CLOUD_PROJECT ?? LOCAL_PROJECT,
  METADATA_SERVER_DETECTION: 'none',
};
let code = 1;
try {
  const wanted = (['pubsub', 'firestore'] as const).filter((kind) => !env[`${kind.toUpperCase()}_EMULATOR_HOST`]);
  for (const emulator of await Promise.all(wanted.map((kind) => startEmulator(kind)))) {
    emulators.push(emulator);
    env[`${emulator.kind.toUpperCase()}_EMULATOR_HOST`] = emulator.host;
  }
  console.log(`emulators: pubsub ${env.PUBSUB_EMULATOR_HOST}, firestore ${env.FIRESTORE_EMULATOR_HOST}`);
  // The reliability scenarios load the machine on purpose: one at a time.
  const concurrency = reliability ? 1 : 4;
  code = await run(
    process.execPath,
    ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...testOptions, ...files],
    env,
  );
} finally {
  await Promise.all(emulators.map((emulator) => emulator.stop()));
}
process.exit(code);
