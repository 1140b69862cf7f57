// A GitHub push becomes a notification posted to an HTTP endpoint (a chat webhook, say), with a timeout. Server
// errors and timeouts are transient (retried); a 4xx other than 408 and 429 means the request itself is wrong,
// which no retry fixes.
import { z } from 'zod';
import { PermanentError } from '../../../shared/src/errors.ts';
import { defineHandler } from '../handlers.ts';

export const GitHubPushEvent = z.looseObject({
  ref: z.string(),
  repository: z.looseObject({ full_name: z.string(), html_url: z.string().optional() }),
  pusher: z.looseObject({ name: z.string() }).optional(),
  commits: z.array(z.looseObject({ id: z.string(), message: z.string() })).default([]),
  compare: z.string().optional(),
});
export type GitHubPushEvent = z.infer<typeof GitHubPushEvent>;

export function pushNotification(event: GitHubPushEvent) {
  const branch = event.ref.replace(/^refs\/heads\//, '');
  const count = event.commits.length;
  const who = event.pusher?.name ?? 'someone';
  return {
    text: `${who} pushed ${count} commit${count === 1 ? '' : 's'} to ${event.repository.full_name}@${branch}`,
    repository: event.repository.full_name,
    branch,
    commits: event.commits.slice(0, 20).map((commit) => ({ id: commit.id.slice(0, 7), message: commit.message.split('\n')[0] })),
    ...(event.compare ? { compare: event.compare } : {}),
  };
}

export function githubNotify(options: { url: string; timeoutMs: number }) {
  return defineHandler({
    name: 'github-push-notify',
    provider: 'github',
    eventTypes: ['push'],
    schema: GitHubPushEvent,
    resourceKey: (event) => event.repository.full_name,
    async handle(event, { signal }) {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': event.deliveryId },
        body: JSON.stringify(pushNotification(event.payload)),
        signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
      });
      await response.body?.cancel();
      if (response.ok) return;
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
      const message = `the notification endpoint answered ${response.status}`;
      throw retryable ? new Error(message) : new PermanentError(message);
    },
  });
}
