// The sources file: one entry per webhook URL (`POST /webhooks/<name>`). This schema is its only definition; the
// ingress, the CLI and the tests all read sources through `loadSources`.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { describeIssues } from './issues.ts';
import { parsePointer } from './json-pointer.ts';

export const PROVIDERS = [
  'stripe',
  'github',
  'slack',
  'shopify',
  'standard-webhooks',
  'meta',
  'twilio',
  'x',
  'hmac',
  'token',
] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** Pub/Sub takes 10 MB a message, attributes included; the rest of the margin is for those. */
export const MAX_BODY_BYTES = 9_500_000;
const DEFAULT_BODY_BYTES = 1024 * 1024;

const UNITS: Record<string, number> = { b: 1, kb: 1024, k: 1024, mb: 1024 * 1024, m: 1024 * 1024 };

const byteSize = z
  .union([z.number().int().positive(), z.string().regex(/^\s*\d+(\.\d+)?\s*(b|kb?|mb?)?\s*$/i, 'a size such as 65536, "512kb" or "1mb"')])
  .transform((value) => {
    if (typeof value === 'number') return value;
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value)!;
    return Math.floor(Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase() || 'b'] ?? 1));
  })
  .pipe(z.number().max(MAX_BODY_BYTES, `at most ${MAX_BODY_BYTES} bytes: Pub/Sub takes 10 MB a message`));

const pointer = z.string().superRefine((value, ctx) => {
  try {
    parsePointer(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const toleranceSeconds = z.number().int().min(1).max(3600);

/** Where a piece of metadata comes from when the provider's default does not fit: a header, or a JSON pointer into the payload. */
const metadataRule = z
  .object({ header: z.string().min(1).toLowerCase().optional(), pointer: pointer.optional() })
  .strict()
  .refine((rule) => (rule.header === undefined) !== (rule.pointer === undefined), 'give exactly one of "header" or "pointer"');
export type MetadataRule = z.output<typeof metadataRule>;

/**
 * A secret is given inline (local use only), or by the name of an environment variable: Cloud Run mounts Secret
 * Manager secrets as environment variables. A variable may hold several secrets, one per line, so that a rotation
 * can keep the old and the new secret active in one Secret Manager version.
 */
function secretRef(env: NodeJS.ProcessEnv) {
  return z
    .union([z.string().min(1), z.object({ value: z.string().min(1) }).strict(), z.object({ env: z.string().min(1) }).strict()])
    .transform((ref, ctx): string[] => {
      if (typeof ref === 'string') return [ref];
      if ('value' in ref) return [ref.value];
      const raw = env[ref.env];
      const values = (raw ?? '').split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
      if (values.length === 0) {
        ctx.addIssue({ code: 'custom', message: `environment variable ${ref.env} is ${raw === undefined ? 'not set' : 'empty'}` });
        return z.NEVER;
      }
      return values;
    });
}

function secretList(env: NodeJS.ProcessEnv) {
  return z
    .array(secretRef(env))
    .min(1, 'at least one secret')
    .transform((lists) => [...new Set(lists.flat())]);
}

function singleSecret(env: NodeJS.ProcessEnv) {
  return secretRef(env).transform((values, ctx) => {
    if (values.length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'exactly one value expected here' });
      return z.NEVER;
    }
    return values[0]!;
  });
}

const hmacAlgorithm = z.enum(['sha1', 'sha256', 'sha512']);
const signatureEncoding = z.enum(['hex', 'base64']);

function providerOptions(env: NodeJS.ProcessEnv) {
  return {
    stripe: z.object({ toleranceSeconds: toleranceSeconds.default(300) }).strict(),
    github: z.object({}).strict(),
    slack: z.object({ toleranceSeconds: toleranceSeconds.default(300) }).strict(),
    shopify: z.object({}).strict(),
    'standard-webhooks': z.object({ toleranceSeconds: toleranceSeconds.default(300) }).strict(),
    meta: z.object({ verifyToken: singleSecret(env).optional() }).strict(),
    twilio: z.object({ publicUrl: z.url().optional() }).strict(),
    x: z.object({}).strict(),
    hmac: z
      .object({
        header: z.string().min(1).toLowerCase(),
        algorithm: hmacAlgorithm.default('sha256'),
        encoding: signatureEncoding.default('hex'),
        prefix: z.string().default(''),
        separator: z.string().min(1).optional(),
        timestampHeader: z.string().min(1).toLowerCase().optional(),
        timestampUnit: z.enum(['s', 'ms']).default('s'),
        toleranceSeconds: toleranceSeconds.default(300),
        signedContent: z.string().min(1).default('{body}'),
      })
      .strict()
      .superRefine((o, ctx) => {
        if (!o.signedContent.includes('{body}')) ctx.addIssue({ code: 'custom', path: ['signedContent'], message: 'must contain {body}' });
        if (o.signedContent.includes('{timestamp}') && !o.timestampHeader)
          ctx.addIssue({ code: 'custom', path: ['timestampHeader'], message: 'required when signedContent uses {timestamp}' });
      }),
    token: z.object({ header: z.string().min(1).toLowerCase().default('secret'), prefix: z.string().default('') }).strict(),
  } satisfies Record<ProviderName, z.ZodType>;
}

/** Whether a provider's body must be JSON unless the source says otherwise; Slack, Twilio and GitHub may send forms. */
const JSON_BY_DEFAULT: Record<ProviderName, boolean> = {
  stripe: true,
  github: false,
  slack: false,
  shopify: true,
  'standard-webhooks': true,
  meta: true,
  twilio: false,
  x: true,
  hmac: false,
  token: false,
};

export function sourcesFileSchema(env: NodeJS.ProcessEnv) {
  const options = providerOptions(env);
  const common = {
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" and "_", at most 63, as it is part of the URL'),
    secrets: secretList(env),
    maxBodyBytes: byteSize.default(DEFAULT_BODY_BYTES),
    json: z.boolean().optional(),
    orderingKey: pointer.optional(),
    deliveryId: metadataRule.optional(),
    eventType: metadataRule.optional(),
  };
  const variants = PROVIDERS.map((provider) =>
    z
      .object({ ...common, provider: z.literal(provider), options: (options[provider] as z.ZodType).prefault({}) })
      .strict()
      .transform((source) => ({ ...source, json: source.json ?? JSON_BY_DEFAULT[provider] })),
  );
  return z
    .object({ sources: z.array(z.discriminatedUnion('provider', variants as never)).min(1, 'declare at least one source') })
    .strict()
    .superRefine((file, ctx) => {
      const seen = new Set<string>();
      file.sources.forEach((source: { name: string }, index: number) => {
        if (seen.has(source.name)) ctx.addIssue({ code: 'custom', path: ['sources', index, 'name'], message: `duplicate source name "${source.name}"` });
        seen.add(source.name);
      });
    });
}

type Options = { [P in ProviderName]: z.output<ReturnType<typeof providerOptions>[P]> };
export type ProviderOptions<P extends ProviderName> = Options[P];

interface SourceBase {
  name: string;
  secrets: string[];
  maxBodyBytes: number;
  json: boolean;
  orderingKey?: string | undefined;
  deliveryId?: MetadataRule | undefined;
  eventType?: MetadataRule | undefined;
}
export type Source = { [P in ProviderName]: SourceBase & { provider: P; options: Options[P] } }[ProviderName];

/** Validates a parsed sources document; the error lists every problem with its path, e.g. `sources[1].secrets[0]`. */
export function parseSources(document: unknown, env: NodeJS.ProcessEnv = process.env, origin = 'sources'): Source[] {
  const result = sourcesFileSchema(env).safeParse(document);
  if (!result.success) {
    const problems = describeIssues(result.error, '(file)').map((line) => `  - ${line}`);
    throw new ConfigError(`${origin} is not valid:\n${problems.join('\n')}`);
  }
  return result.data.sources as Source[];
}

/** Reads the YAML or JSON file named by HOOKPIPE_SOURCES (or given), validated once, at start-up. */
export function loadSources(path: string, env: NodeJS.ProcessEnv = process.env): Source[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the sources file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let document: unknown;
  try {
    document = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(`cannot parse the sources file ${path}: ${(error as Error).message}`);
  }
  return parseSources(document, env, path);
}
