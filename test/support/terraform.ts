// Reads infra/*.tf with an HCL parser (terraform validate needs providers that cannot be downloaded here) and
// resolves the simple `${local.name}` references, so tests can compare what Terraform would create.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

export type Block = Record<string, unknown>;
export interface Terraform {
  locals: Record<string, unknown>;
  resources: Record<string, Record<string, Block>>;
  variables: Record<string, Block>;
  outputs: Record<string, Block>;
}

export async function readTerraform(dir = 'infra'): Promise<Terraform> {
  const tf: Terraform = { locals: {}, resources: {}, variables: {}, outputs: {} };
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort()) {
    const parsed = (await parse(file, readFileSync(join(dir, file), 'utf8'))) as {
      locals?: Array<Record<string, unknown>>;
      resource?: Record<string, Record<string, Block[]>>;
      variable?: Record<string, Block[]>;
      output?: Record<string, Block[]>;
    };
    for (const block of parsed.locals ?? []) Object.assign(tf.locals, block);
    for (const [type, byName] of Object.entries(parsed.resource ?? {})) {
      for (const [name, blocks] of Object.entries(byName)) {
        tf.resources[type] ??= {};
        tf.resources[type][name] = blocks[0]!;
      }
    }
    for (const [name, blocks] of Object.entries(parsed.variable ?? {})) tf.variables[name] = blocks[0]!;
    for (const [name, blocks] of Object.entries(parsed.output ?? {})) tf.outputs[name] = blocks[0]!;
  }
  return tf;
}

/** `${local.x}` becomes the local's value (a whole-string reference keeps its type); other interpolations stay. */
export function resolve(tf: Terraform, value: unknown): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{local\.([a-z0-9_]+)\}$/.exec(value);
    if (whole && whole[1]! in tf.locals) return resolve(tf, tf.locals[whole[1]!]);
    return value.replace(/\$\{local\.([a-z0-9_]+)\}/g, (match, name: string) =>
      name in tf.locals ? String(resolve(tf, tf.locals[name])) : match,
    );
  }
  if (Array.isArray(value)) return value.map((item) => resolve(tf, item));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(tf, v)]));
  return value;
}

/** A resource's attributes with locals resolved; nested blocks come as one-element arrays from the parser. */
export function resource(tf: Terraform, type: string, name: string): Block {
  const block = tf.resources[type]?.[name];
  if (!block) throw new Error(`infra has no ${type}.${name}`);
  return resolve(tf, block) as Block;
}

export const first = (value: unknown): Block => (Array.isArray(value) ? (value[0] as Block) : (value as Block));

/**
 * A container's environment as name -> value: its `env` blocks, and a `dynamic "env"` whose `for_each` map gives
 * the names and values (as the processor's does). A secret-backed variable maps to its `value_source`.
 */
export function containerEnv(container: Block): Record<string, unknown> {
  const env: Record<string, unknown> = {};
  for (const block of (container.env ?? []) as Block[]) env[String(block.name)] = block.value ?? block.value_source;
  // The parser gives a container's `dynamic` blocks as one object: block type -> the blocks of that type.
  for (const block of (first(container.dynamic ?? {}).env ?? []) as Block[]) {
    const content = first(block.content);
    if (content?.name === '${env.key}' && content.value === '${env.value}' && block.for_each && typeof block.for_each === 'object') {
      Object.assign(env, block.for_each);
    }
  }
  return env;
}
