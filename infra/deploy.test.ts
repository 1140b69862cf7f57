// The deploy files against the code and the Terraform: the Dockerfile's entry point exists in the build output
// and runs, its Node major is the tests', and cloudbuild.yaml builds the images and updates the services that
// Terraform names.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadSources } from '../ingress/src/providers/index.ts';
import { readTerraform, resolve, type Terraform } from '../test/support/terraform.ts';

const OUT = '.tools/build-check';
const dockerfile = readFileSync('Dockerfile', 'utf8');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string }; scripts: Record<string, string> };
let tf: Terraform;

before(async () => {
  tf = await readTerraform('infra');
  // The same compilation as the image's `npm run build`, into a scratch folder inside the repo so that the output
  // resolves node_modules as it does in the image.
  const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', OUT], {
    encoding: 'utf8',
  });
  assert.equal(build.status, 0, build.stdout + build.stderr);
});
after(() => rmSync(OUT, { recursive: true, force: true }));

const nodeMajor = (text: string) => Number(/(\d+)/.exec(text)?.[1]);

test('the image runs the Node major the tests run on, non-root, with production dependencies only', () => {
  const images = [...dockerfile.matchAll(/^ARG NODE_IMAGE=node:(\S+)/gm)].map((m) => m[1]!);
  assert.equal(images.length, 1);
  assert.equal(nodeMajor(images[0]!), nodeMajor(pkg.engines.node));
  assert.equal(nodeMajor(images[0]!), nodeMajor(process.version), 'the tests run on this Node');
  assert.match(readFileSync('.ci/run', 'utf8'), new RegExp(`node@${nodeMajor(images[0]!)}`));
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, /npm ci --omit=dev/);
  assert.match(dockerfile, /ENV NODE_ENV=production/);
  for (const [, path] of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)) assert.ok(existsSync(path!), `COPY ${path} exists`);
});

test("each service's entry point exists in the build output and starts (failing fast on an empty configuration)", () => {
  const entry = /ENTRYPOINT \[.*exec node (dist\/\$SERVICE\/src\/main\.js)/.exec(dockerfile)?.[1];
  assert.ok(entry, 'the entry point execs node, so SIGTERM reaches it');
  for (const service of ['ingress', 'processor']) {
    const path = entry!.replace('$SERVICE', service).replace(/^dist\//, `${OUT}/`);
    assert.ok(existsSync(path), `${path} is built`);
    const run = spawnSync(process.execPath, [path], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOOKPIPE_SOURCES: '', HOOKPIPE_PUSH_AUDIENCE: '' },
      timeout: 20_000,
    });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`^${service}: configuration is not valid`));
  }
  const handlers = /HOOKPIPE_HANDLERS=(\S+)/.exec(dockerfile)?.[1];
  assert.ok(existsSync(handlers!.replace(/^dist\//, `${OUT}/`)), 'the default handlers module is built');
});

test('the sources file baked into the image is valid and takes its secrets from the variables Terraform mounts', () => {
  const sourcesPath = /HOOKPIPE_SOURCES=(\S+)/.exec(dockerfile)?.[1] as string;
  const envNames = Object.values(tf.variables.sources!.default as Record<string, { env: string }>).map((s) => s.env);
  const env = Object.fromEntries(envNames.map((name) => [name, 'placeholder']));
  const sources = loadSources(sourcesPath, env);
  assert.deepEqual(sources.map((s) => s.name).sort(), Object.keys(tf.variables.sources!.default as object).sort());
  assert.equal(tf.variables.sources_file!.default, sourcesPath);
});

test('cloudbuild.yaml lints, tests, builds and pushes the images Terraform deploys, and updates its services', () => {
  const build = parseYaml(readFileSync('cloudbuild.yaml', 'utf8')) as {
    substitutions: Record<string, string>;
    steps: Array<{ id: string; name: string; args: string[]; entrypoint?: string; waitFor?: string[] }>;
    images: string[];
  };
  const ids = build.steps.map((step) => step.id);
  for (const step of build.steps)
    for (const dependency of step.waitFor ?? []) assert.ok(ids.includes(dependency), `${step.id} waits for ${dependency}`);
  const npmRuns = build.steps.flatMap((step) => [step.args.join(' '), ...step.args]).join('\n');
  assert.match(npmRuns, /run lint/);
  assert.match(npmRuns, /run typecheck/);
  assert.match(npmRuns, /npm test/);
  assert.ok(pkg.scripts.lint?.startsWith('biome check') && pkg.scripts.typecheck && pkg.scripts.test);
  assert.match(build.steps.find((s) => s.id === 'test')!.name, /cloudsdktool\/google-cloud-cli:emulators/);
  assert.equal(nodeMajor(build.substitutions._NODE_VERSION!), nodeMajor(pkg.engines.node));

  for (const step of build.steps.filter((s) => s.args.includes('-f'))) assert.ok(existsSync(step.args[step.args.indexOf('-f') + 1]!));

  // The image names: Terraform's local.ingress_image is <region>-docker.pkg.dev/<project>/<repository>/<name>:<tag>.
  const withSubstitutions = (text: string) =>
    text
      .replaceAll('${_REGION}', '${var.region}')
      .replaceAll('$PROJECT_ID', '${var.project_id}')
      .replaceAll('${_REPOSITORY}', String(tf.locals.repository))
      .replace(/:\$COMMIT_SHA$/, '');
  for (const service of ['ingress', 'processor'] as const) {
    // Terraform's tag is `${coalesce(var.image_tag, ...)}`: compare what comes before it.
    const terraformImage = String(resolve(tf, tf.locals[`${service}_image`])).replace(/:\$\{[^}]*var\.image_tag[^}]*\}$/, '');
    assert.ok(build.images.map(withSubstitutions).includes(terraformImage), `${terraformImage} is built`);
    const deploy = build.steps.find((step) => step.id === `deploy-${service}`)!;
    const update = /gcloud run services update (\S+) .*--image=(\S+)/.exec(deploy.args.join(' '));
    assert.ok(update, `${deploy.id} updates a service's image`);
    assert.equal(update[1], tf.locals[`${service}_service`], 'the service Terraform created');
    assert.equal(withSubstitutions(update[2]!), terraformImage);
  }
  assert.equal(build.substitutions._REPOSITORY, tf.locals.repository);
  assert.equal(build.substitutions._REGION, tf.variables.region!.default);
});
