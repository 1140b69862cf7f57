// From an empty project: the services can only be created once their images exist and every secret the ingress
// mounts has a version, so the first apply leaves them out (create_services = false) and the documented steps
// (README.md "Deploy to Google Cloud", infra/README.md "From an empty project") come in the one order that works.
// Terraform cannot run here: this checks the parsed *.tf, cloudbuild.yaml and the two READMEs.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { type Block, first, readTerraform, type Terraform } from '../test/support/terraform.ts';

let tf: Terraform;
before(async () => {
  tf = await readTerraform('infra');
});

const SERVICES = ['google_cloud_run_v2_service.ingress', 'google_cloud_run_v2_service.processor'];

const resources = () =>
  Object.entries(tf.resources).flatMap(([type, byName]) =>
    Object.entries(byName).map(([name, block]) => ({ address: `${type}.${name}`, block })),
  );
/** A resource's text without its depends_on, where a bare address is right even for a resource with a count. */
const body = ({ depends_on: _, ...block }: Block) => JSON.stringify(block);
const mentions = (text: string, address: string) => new RegExp(`\\b${address.replaceAll('.', '\\.')}\\b`).test(text);
const isGated = (block: Block) =>
  [block.count, block.for_each].some((value) => typeof value === 'string' && value.startsWith('${var.create_services ? '));

test('create_services = false leaves out exactly the Cloud Run services and what refers to them', () => {
  assert.equal(tf.variables.create_services?.type, '${bool}');
  assert.equal(tf.variables.create_services?.default, true, 'a plain apply keeps the services');

  // Whatever refers to a service, or to something that does, cannot exist before it.
  const needsServices = new Set(SERVICES);
  for (let grew = true; grew; ) {
    grew = false;
    for (const { address, block } of resources()) {
      if (needsServices.has(address) || ![...needsServices].some((other) => mentions(JSON.stringify(block), other))) continue;
      needsServices.add(address);
      grew = true;
    }
  }
  const gated = resources()
    .filter(({ block }) => isGated(block))
    .map(({ address }) => address);
  assert.deepEqual(gated.sort(), [...needsServices].sort());
  assert.ok(gated.includes('google_pubsub_subscription.push'), 'the push subscription needs the processor URL');

  // What steps 2 and 3 need is there after step 1.
  for (const address of [
    'google_secret_manager_secret.source',
    'google_artifact_registry_repository.images',
    'google_artifact_registry_repository_iam_member.cloudbuild_pushes',
  ]) {
    assert.ok(
      resources().some((r) => r.address === address && !isGated(r.block)),
      `${address} is created by the first apply`,
    );
  }
});

test('what refers to a service names its instance, and the outputs are null until the services exist', () => {
  const counted = resources()
    .filter(({ block }) => typeof block.count === 'string' && isGated(block))
    .map(({ address }) => address);
  for (const { address, block } of resources()) {
    for (const other of counted) {
      const bare = new RegExp(`\\b${other.replaceAll('.', '\\.')}\\b(?!\\[0\\])`);
      assert.ok(!bare.test(body(block)), `${address} refers to ${other} without [0]`);
    }
  }
  for (const [name, output] of Object.entries(tf.outputs)) {
    for (const other of counted) {
      if (!mentions(String(output.value), other)) continue;
      assert.match(
        String(output.value),
        new RegExp(`^\\$\\{one\\(${other.replaceAll('.', '\\.')}\\[\\*\\]\\.\\w+\\)\\}$`),
        `output ${name}`,
      );
    }
  }
});

test('a service is created only with image_tag, and an existing one keeps the image Cloud Build deployed', () => {
  assert.equal(tf.variables.image_tag?.default, null, 'no default tag: no build pushes "latest"');
  for (const address of SERVICES) {
    const name = address.split('.')[1]!;
    const service = tf.resources.google_cloud_run_v2_service![name]!;
    assert.equal(first(first(service.template).containers).image, `\${local.${name}_image}`);
    assert.match(String(tf.locals[`${name}_image`]), /:\$\{coalesce\(var\.image_tag, local\.unset_image_tag\)\}$/);
    const lifecycle = first(service.lifecycle);
    assert.ok((lifecycle.ignore_changes as string[]).includes('${template[0].containers[0].image}'), `${name}: Cloud Build owns the image`);
    // With ignore_changes, an existing service's planned image is the deployed one; only a new one has the sentinel.
    assert.equal(
      first(lifecycle.postcondition).condition,
      '${!endswith(self.template[0].containers[0].image, ":${local.unset_image_tag}")}',
    );
  }
});

/** The commands of the first ```sh block after `heading`, without comments and blank lines. */
function commands(path: string, heading: string): string[] {
  const text = readFileSync(path, 'utf8');
  const section = text.slice(text.indexOf(`\n${heading}\n`));
  assert.ok(section.length < text.length, `${path} has "${heading}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

const flags = (line: string, flag: RegExp) => Object.fromEntries([...line.matchAll(flag)].map((m) => [m[1]!, m[2]!]));

/** Each step after the ones it needs; returns what is wrong, so both READMEs get the same check. */
function orderProblems(lines: string[]): string[] {
  const problems: string[] = [];
  const index = (what: string, pattern: RegExp) => {
    const at = lines.findIndex((line) => pattern.test(line));
    if (at < 0) problems.push(`missing: ${what}`);
    return at;
  };
  const before = (a: [string, number], b: [string, number]) => {
    if (a[1] >= 0 && b[1] >= 0 && a[1] >= b[1]) problems.push(`${a[0]} comes after ${b[0]}`);
  };
  const applies = lines.filter((line) => /^terraform -chdir=infra apply /.test(line));
  if (applies.length !== 2) problems.push(`${applies.length} applies, not 2`);
  const [foundation, services] = applies.map((line) => flags(line, /-var (\w+)=(\S+)/g));

  const init: [string, number] = ['terraform init', index('terraform -chdir=infra init', /^terraform -chdir=infra init$/)];
  const first: [string, number] = ['the first apply', lines.indexOf(applies[0] ?? '')];
  const second: [string, number] = ['the second apply', lines.indexOf(applies[1] ?? '')];
  if (foundation?.create_services !== 'false') problems.push('the first apply does not set create_services=false');
  if (services && ('create_services' in services || !services.image_tag))
    problems.push('the second apply must create the services, with image_tag');
  for (const key of ['project_id', 'region']) if (foundation?.[key] !== services?.[key]) problems.push(`the two applies differ in ${key}`);

  const secretId = String(tf.resources.google_secret_manager_secret!.source!.secret_id);
  const versions = Object.keys(tf.variables.sources!.default as object).map((source): [string, number] => {
    const secret = secretId.replace('${each.key}', source);
    return [`a version of ${secret}`, index(`a version of ${secret}`, new RegExp(`gcloud secrets versions add ${secret} `))];
  });

  const build: [string, number] = ['the build', index('the build', /^gcloud builds submit --config cloudbuild\.yaml /)];
  const substitutions = flags(lines[build[1]] ?? '', /[=,](_?[A-Z_]+)=([^,\s]+)/g);
  if (substitutions._DEPLOY !== 'false') problems.push('the first build does not skip the deploy steps (_DEPLOY=false)');
  if (substitutions._REGION !== foundation?.region) problems.push('the build pushes to another region than Terraform uses');
  if (!substitutions.COMMIT_SHA || substitutions.COMMIT_SHA !== services?.image_tag)
    problems.push('the services are not created with the commit the build pushed');
  // One shell variable for both steps: asking git again in step 4 would name a commit never built after a new commit.
  const variable = /^\$(\w+)$/.exec(substitutions.COMMIT_SHA ?? '')?.[1];
  if (!variable) problems.push('the commit is not kept in a shell variable for the build and the second apply');
  const commit: [string, number] = [
    'the commit',
    variable ? index(`${variable}=`, new RegExp(`^${variable}=\\$\\(git rev-parse HEAD\\)$`)) : -1,
  ];
  const url: [string, number] = ['the ingress URL', index('the ingress URL', /terraform -chdir=infra output -raw ingress_url/)];

  before(init, first);
  for (const version of versions) {
    before(first, version);
    before(version, second);
  }
  before(first, build);
  before(commit, build);
  before(build, second);
  before(second, url);
  return problems;
}

test('the documented steps work from an empty project: foundation, secret versions, images, services', () => {
  assert.deepEqual(orderProblems(commands('README.md', '## Deploy to Google Cloud')), []);
  assert.deepEqual(orderProblems(commands('infra/README.md', '## From an empty project')), []);

  // The check itself: the old single apply, and the steps swapped.
  const good = commands('README.md', '## Deploy to Google Cloud');
  const swapped = [...good];
  const build = swapped.findIndex((line) => line.startsWith('gcloud builds submit'));
  const second = swapped.findLastIndex((line) => line.startsWith('terraform -chdir=infra apply'));
  [swapped[build], swapped[second]] = [swapped[second]!, swapped[build]!];
  assert.ok(orderProblems(swapped).includes('the build comes after the second apply'));
  const oneApply = good.filter((line) => line !== good[second]).map((line) => line.replace(' -var create_services=false', ''));
  assert.ok(orderProblems(oneApply).includes('the first apply does not set create_services=false'));
});

test('cloudbuild.yaml deploys by default and skips only its deploy steps with _DEPLOY=false', () => {
  const build = parseYaml(readFileSync('cloudbuild.yaml', 'utf8')) as {
    substitutions: Record<string, string>;
    steps: Array<{ id: string; entrypoint?: string; args: string[] }>;
  };
  assert.equal(build.substitutions._DEPLOY, 'true');
  const deploys = build.steps.filter((step) => /gcloud run (services update|deploy)\b/.test(step.args.join(' ')));
  assert.deepEqual(deploys.map((step) => step.id).sort(), ['deploy-ingress', 'deploy-processor']);
  for (const step of deploys) {
    assert.equal(step.entrypoint, 'bash');
    assert.match(step.args.join(' '), /^-c \[ "\$\{_DEPLOY\}" = false \] \|\| gcloud run services update /);
  }
  assert.ok(
    !build.steps.some((step) => !deploys.includes(step) && step.args.join(' ').includes('_DEPLOY')),
    'tests, builds and pushes always run',
  );
});

test('infra/README.md names every .tf file, variable and output', () => {
  const readme = readFileSync('infra/README.md', 'utf8');
  const names = [...readdirSync('infra').filter((file) => file.endsWith('.tf')), ...Object.keys(tf.variables), ...Object.keys(tf.outputs)];
  assert.deepEqual(
    names.filter((name) => !readme.includes(`\`${name}\``)),
    [],
  );
});
