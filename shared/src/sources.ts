// The sources file: one entry per webhook URL (`POST /webhooks/<name>`). The fields every source has are defined
// here; each provider brings its own `options` schema, JSON default and key derivation, and `defineSources` builds
// the file's schema from a registry of them. shared/ knows no provider: the registry is handed in, and bound once
// (ingress/src/providers/index.ts), so that the ingress, the CLI and the tests all read sources the same way.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { describeIssues } from './issues.ts';
import { parsePointer } from './json-pointer.ts';

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

/** For provider options: how far a signed timestamp may be from now, either way. */
export const toleranceSeconds = z.number().int().min(1).max(3600);

/** Where a piece of metadata comes from when the provider's default does not fit: a header, or a JSON pointer into the payload. */
const metadataRule = z
  .object({ header: z.string().min(1).toLowerCase().optional(), pointer: pointer.optional() })
  .strict()
  .refine((rule) => (rule.header === undefined) !== (rule.pointer === undefined), 'give exactly one of "header" or "pointer"');
export type MetadataRule = z.output<typeof metadataRule>;

const lines = (raw: string): string[] =>
  raw
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Keys in one variable: each PEM block whole (a PEM spans lines), and any other key one per line. */
const keyEntries = (raw: string): string[] => [...(raw.match(PEM_BLOCK) ?? []), ...lines(raw.replace(PEM_BLOCK, '\n'))];

/**
 * A secret is given inline (local use only), or by the name of an environment variable: Cloud Run mounts Secret
 * Manager secrets as environment variables. A variable may hold several secrets, one per line (public keys: one PEM
 * block or one line each), so that a rotation can keep the old and the new secret active in one Secret Manager version.
 */
function secretRef(env: NodeJS.ProcessEnv, split: (raw: string) => string[] = lines) {
  return z
    .union([z.string().min(1), z.object({ value: z.string().min(1) }).strict(), z.object({ env: z.string().min(1) }).strict()])
    .transform((ref, ctx): string[] => {
      if (typeof ref === 'string') return [ref];
      if ('value' in ref) return [ref.value];
      const raw = env[ref.env];
      const values = split(raw ?? '');
      if (values.length === 0) {
        ctx.addIssue({ code: 'custom', message: `environment variable ${ref.env} is ${raw === undefined ? 'not set' : 'empty'}` });
        return z.NEVER;
      }
      return values;
    });
}

function single(ref: ReturnType<typeof secretRef>) {
  return ref.transform((values, ctx) => {
    if (values.length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'exactly one value expected here' });
      return z.NEVER;
    }
    return values[0]!;
  });
}

/** For provider options holding one secret (Meta's verify token): inline, or from an environment variable. */
export const singleSecret = (env: NodeJS.ProcessEnv) => single(secretRef(env));

/** What a public-key provider makes of a configured key: the key `verify` gets (DER SPKI), or what is wrong with it. */
export type KeyReading = { key: Buffer } | { problem: string };

/** What the sources file needs to know of a provider. The provider modules (ingress/src/providers) are these and more. */
export interface SourceProvider<O = unknown> {
  /** The `options` of a source of this provider; `env` resolves secret references (see `singleSecret`). */
  options(env: NodeJS.ProcessEnv): z.ZodType<O>;
  /** Whether bodies must be JSON unless the source says otherwise (`json:`). */
  readonly json: boolean;
  /** How a configured secret becomes the HMAC key; by default its UTF-8 bytes. An empty key is refused. */
  key?(secret: string): Buffer;
  /** What a secret looks like, said when one gives an empty key. */
  readonly keyFormat?: string;
  /**
   * Set for providers that verify public-key signatures (Ed25519, ECDSA, RSA): their sources list `publicKeys`
   * instead of `secrets`, each read by this into the key `verify` gets, with the source's options (its algorithm).
   */
  publicKey?(text: string, options: O): KeyReading;
  /** For the same providers: the public half of a private key given as `signingKey`, which `hookpipe send` signs with. */
  signingKey?(text: string, options: O): KeyReading;
}

export type OptionsOf<P> = P extends SourceProvider<infer O> ? O : never;

/** The registry `defineSources` takes, typed by the map of each provider's options (name -> options). */
export type RegistryOf<M> = { [P in keyof M & string]: SourceProvider<M[P]> };

interface SourceBase {
  name: string;
  /** As configured, in order: `hookpipe send` signs with the first. None for a public-key source. */
  secrets: string[];
  /** What `verify` gets, derived once at start-up, in order: the HMAC key of each secret, or each public key (DER SPKI). */
  keys: Buffer[];
  /**
   * A public-key source's private key, for `hookpipe send` on a developer's machine: the ingress never needs one, and
   * refuses to start with one outside the emulator (ingest.ts).
   */
  signingKey?: string | undefined;
  maxBodyBytes: number;
  json: boolean;
  orderingKey?: string | undefined;
  deliveryId?: MetadataRule | undefined;
  eventType?: MetadataRule | undefined;
}
export type SourceFor<M, P extends keyof M & string> = SourceBase & { provider: P; options: M[P] };
/** A validated source: its provider's name and options correlate, so code generic in the provider needs no casts. */
export type SourceOf<M> = { [P in keyof M & string]: SourceFor<M, P> }[keyof M & string];

export function keyOf(provider: SourceProvider<unknown>, secret: string): Buffer {
  return provider.key?.(secret) ?? Buffer.from(secret, 'utf8');
}

/**
 * The secrets of a source and their keys. A key of zero bytes would make every HMAC a public function of the
 * message (Standard Webhooks' `whsec_` alone decodes to one): refused here, named by the secret's place in the file.
 */
function secretList(env: NodeJS.ProcessEnv, provider: SourceProvider<unknown>) {
  const withKeys = secretRef(env).transform((values, ctx) => {
    const pairs = values.map((secret) => ({ secret, key: keyOf(provider, secret) }));
    if (pairs.some((pair) => pair.key.length === 0)) {
      const format = provider.keyFormat ? ` (${provider.keyFormat})` : '';
      ctx.addIssue({ code: 'custom', message: `this secret gives an empty HMAC key, which would accept any signature${format}` });
      return z.NEVER;
    }
    return pairs;
  });
  return z
    .array(withKeys)
    .min(1, 'at least one secret')
    .transform((lists) => {
      const unique = new Map(lists.flat().map((pair) => [pair.secret, pair.key]));
      return { secrets: [...unique.keys()], keys: [...unique.values()] };
    });
}

/**
 * The keys of a public-key source, each read by its provider with the source's options (so a key of another
 * algorithm is refused), named by its place in the file; and its signing key, if any, whose public half must be
 * one of them, or `hookpipe send` would sign what the source refuses. Public keys are public: they may be given
 * inline as well as from an environment variable (a Secret Manager secret), one PEM block or one line each.
 */
function publicKeyFields(env: NodeJS.ProcessEnv, name: string) {
  const ref = secretRef(env, keyEntries);
  return {
    publicKeys: z.array(ref).min(1, 'at least one public key'),
    signingKey: single(ref).optional(),
    secrets: z.never({ error: `${name} verifies public-key signatures: list its keys under publicKeys` }).optional(),
  };
}

function readKeys<O>(
  provider: SourceProvider<O>,
  source: { publicKeys: string[][]; signingKey?: string | undefined; options: O },
  ctx: z.RefinementCtx,
): { secrets: string[]; keys: Buffer[]; signingKey?: string | undefined } {
  const keys = new Map<string, Buffer>();
  source.publicKeys.forEach((texts, index) => {
    for (const text of texts) {
      const reading = provider.publicKey!(text, source.options);
      if ('problem' in reading) ctx.addIssue({ code: 'custom', path: ['publicKeys', index], message: reading.problem });
      else keys.set(reading.key.toString('base64'), reading.key);
    }
  });
  if (source.signingKey !== undefined) {
    const reading = provider.signingKey!(source.signingKey, source.options);
    const problem =
      'problem' in reading
        ? reading.problem
        : keys.size > 0 && !keys.has(reading.key.toString('base64'))
          ? 'its public half is none of publicKeys, so what it signs would be refused'
          : undefined;
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['signingKey'], message: problem });
  }
  return { secrets: [], keys: [...keys.values()], signingKey: source.signingKey };
}

/** The fields every source has, whatever its provider. */
const COMMON_FIELDS = {
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" and "_", at most 63, as it is part of the URL'),
  maxBodyBytes: byteSize.default(DEFAULT_BODY_BYTES),
  json: z.boolean().optional(),
  orderingKey: pointer.optional(),
  deliveryId: metadataRule.optional(),
  eventType: metadataRule.optional(),
};

/**
 * Builds the sources file's schema and readers for a registry of providers (name -> provider), typed by `M`, the
 * map of each provider's options; the registry module binds it once.
 */
export function defineSources<M>(registry: RegistryOf<M>) {
  function sourcesFileSchema(env: NodeJS.ProcessEnv) {
    const variants = Object.entries<SourceProvider<unknown>>(registry).map(([name, provider]) => {
      const common = { ...COMMON_FIELDS, provider: z.literal(name), options: provider.options(env).prefault({}) };
      if (provider.publicKey) {
        return z
          .object({ ...common, ...publicKeyFields(env, name) })
          .strict()
          .transform(({ publicKeys, signingKey, secrets: _none, ...source }, ctx) => ({
            ...source,
            ...readKeys(provider, { publicKeys, signingKey, options: source.options }, ctx),
            json: source.json ?? provider.json,
          }));
      }
      const noPublicKeys = z.never({ error: `${name} verifies with shared secrets: give them as secrets` }).optional();
      return z
        .object({ ...common, secrets: secretList(env, provider), publicKeys: noPublicKeys })
        .strict()
        .transform(({ secrets, publicKeys: _none, ...source }) => ({ ...source, ...secrets, json: source.json ?? provider.json }));
    });
    const [first, ...rest] = variants;
    if (!first) throw new Error('defineSources: the provider registry is empty');
    return z
      .object({ sources: z.array(z.discriminatedUnion('provider', [first, ...rest])).min(1, 'declare at least one source') })
      .strict()
      .superRefine((file, ctx) => {
        const seen = new Set<string>();
        file.sources.forEach((source, index) => {
          const message = `duplicate source name "${source.name}"`;
          if (seen.has(source.name)) ctx.addIssue({ code: 'custom', path: ['sources', index, 'name'], message });
          seen.add(source.name);
        });
      });
  }

  /** Validates a parsed sources document; the error lists every problem with its path, e.g. `sources[1].secrets[0]`. */
  function parseSources(document: unknown, env: NodeJS.ProcessEnv = process.env, origin = 'sources'): Array<SourceOf<M>> {
    const result = sourcesFileSchema(env).safeParse(document);
    if (!result.success) {
      const problems = describeIssues(result.error, '(file)').map((line) => `  - ${line}`);
      throw new ConfigError(`${origin} is not valid:\n${problems.join('\n')}`);
    }
    // Each variant was built from its own registry entry, so provider and options correlate as SourceOf<M> says;
    // zod cannot carry that correlation through a list built at run time.
    return result.data.sources as Array<SourceOf<M>>;
  }

  /** Reads the YAML or JSON file named by HOOKPIPE_SOURCES (or given), validated once, at start-up. */
  function loadSources(path: string, env: NodeJS.ProcessEnv = process.env): Array<SourceOf<M>> {
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

  return { sourcesFileSchema, parseSources, loadSources };
}
