// How a zod failure is told to a person, the same way everywhere (configuration, the sources file, the admin API,
// handler payloads): one `path: message` per problem, paths written `sources[1].secrets[0]`.
import type { z } from 'zod';

export function issuePath(path: readonly PropertyKey[], root: string): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out || root;
}

/** Paths and zod's messages only: zod's messages say what was expected, never the value that was given. */
export function describeIssues(error: z.ZodError, root: string, limit = Infinity): string[] {
  return error.issues.slice(0, limit).map((issue) => `${issuePath(issue.path, root)}: ${issue.message}`);
}
