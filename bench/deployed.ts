// The settings Terraform deploys the services with, read from infra/*.tf, so that the benchmark runs the ingress as
// Cloud Run does (HOOKPIPE_CONCURRENCY, HOOKPIPE_MEMORY_LIMIT and whatever else infra sets) and a bound tuned at one
// load is checked at every other. Values that only exist in the cloud (the project, a topic's name, secrets) are
// left out; the benchmark supplies its own.
import { parseMemoryQuantity } from '../shared/src/settings.ts';
import { containerEnv, first, readTerraform, resource, type Terraform } from '../test/support/terraform.ts';

export interface DeployedService {
  /** Environment variables infra sets to values known before apply: literals, and variables or locals with defaults. */
  env: Record<string, string>;
  /** Cloud Run's max_instance_request_concurrency. */
  concurrency: number;
  maxInstances: number;
  vcpu: number;
  memoryGiB: number;
}

/** `${var.x}`, `${tostring(var.x)}` and the same with `local.`: a value when the variable has a default. */
export function resolveValue(tf: Terraform, value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return undefined; // a secret reference (value_source)
  if (!value.includes('${')) return value;
  const reference = /^\$\{(?:tostring\()?(var|local)\.([a-z0-9_]+)\)?\}$/.exec(value);
  if (!reference) return undefined;
  const [, kind, name] = reference as unknown as [string, 'var' | 'local', string];
  const resolved = kind === 'var' ? tf.variables[name]?.default : tf.locals[name];
  return resolved === undefined ? undefined : resolveValue(tf, resolved);
}

export function deployedService(tf: Terraform, name: 'ingress' | 'processor'): DeployedService {
  const template = first(resource(tf, 'google_cloud_run_v2_service', name).template);
  const container = first(template.containers);
  const limits = first(container.resources).limits as Record<string, string>;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(containerEnv(container))) {
    const resolved = resolveValue(tf, value);
    if (resolved !== undefined) env[key] = resolved;
  }
  const integer = (value: unknown, what: string) => {
    const number = Number(resolveValue(tf, value));
    if (!Number.isInteger(number)) throw new Error(`infra: the ${name}'s ${what} does not resolve to a number`);
    return number;
  };
  return {
    env,
    concurrency: integer(template.max_instance_request_concurrency, 'concurrency'),
    maxInstances: integer(first(template.scaling).max_instance_count, 'max_instance_count'),
    vcpu: Number(limits.cpu),
    memoryGiB: (parseMemoryQuantity(String(limits.memory)) ?? NaN) / 2 ** 30,
  };
}

export async function readDeployed(dir = 'infra'): Promise<Record<'ingress' | 'processor', DeployedService>> {
  const tf = await readTerraform(dir);
  return { ingress: deployedService(tf, 'ingress'), processor: deployedService(tf, 'processor') };
}
