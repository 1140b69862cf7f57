// The webhooks the benchmark sends: GitHub push events of a chosen size, signed as GitHub signs them, by the same
// signer `hookpipe send` uses (ingress/src/providers/github.ts), so a benchmark can never measure a stream of 401s.
import { randomUUID } from 'node:crypto';
import { github } from '../ingress/src/providers/github.ts';

export const BENCH_SECRET = 'bench-github-secret';

/** A GitHub push event padded to exactly `size` bytes (its commit message grows), as GitHub would send it. */
export function githubBody(size: number): Buffer {
  const event = JSON.parse(github.sample(0).body.toString()) as { commits: Array<{ message: string }> };
  const commit = event.commits[0]!;
  const base = Buffer.byteLength(JSON.stringify(event));
  commit.message += ' '.repeat(Math.max(0, size - base));
  return Buffer.from(JSON.stringify(event));
}

/** The headers GitHub sends with `body`: signature, delivery GUID, event name, content type. */
export function githubHeaders(body: Buffer, secret: string, url: string, id: string = randomUUID()): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  const signed = github.sign({ body, url: new URL(url), now, id, eventType: 'push', contentType: 'application/json' }, secret, {});
  return { 'content-type': 'application/json', 'user-agent': 'GitHub-Hookshot/bench', ...signed };
}
