// Reads a request body up to a limit, and not a byte further: an oversized body is refused as soon as its
// declared length or its running count passes the limit, so a hostile sender cannot make the ingress buffer it.
// Every byte is also reserved in the instance's body budget (body-budget.ts) before it is kept: the declared length
// up front, so a body that cannot fit is refused before a byte of it is read; without one (chunked), chunk by chunk.
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../../shared/src/errors.ts';
import { type BodyHold, overBudget, UNBOUNDED_HOLD } from './body-budget.ts';

export function tooLarge(limit: number): HttpError {
  return new HttpError('payload_too_large', `the body exceeds this source's limit of ${limit} bytes`);
}

function declaredLength(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Why to stop reading once `size` bytes are declared or received: over the source's limit (413, for good: the
 * provider must not retry) before over the budget (503, retried later), so a body too large for its source is never
 * told to come back.
 */
function refusal(size: number, limit: number, hold: BodyHold): HttpError | undefined {
  if (size > limit) return tooLarge(limit);
  if (!hold.reserveUpTo(size)) return overBudget();
  return undefined;
}

/** From Node's request stream: the fast path under @hono/node-server. */
export function readIncoming(incoming: IncomingMessage, limit: number, hold: BodyHold = UNBOUNDED_HOLD): Promise<Buffer> {
  const declared = declaredLength(incoming.headers['content-length']);
  const refusedUpFront = declared === undefined ? undefined : refusal(declared, limit, hold);
  if (refusedUpFront) return Promise.reject(refusedUpFront);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      const refused = refusal(size, limit, hold);
      if (refused) {
        cleanup();
        incoming.pause();
        reject(refused);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new HttpError('bad_request', 'the request body could not be read', { cause: error }));
    };
    const onAborted = () => onError(new Error('aborted'));
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('aborted', onAborted);
  });
}

/** From a web Request: used where there is no Node stream (tests through `app.request`, other runtimes). */
export async function readRequest(request: Request, limit: number, hold: BodyHold = UNBOUNDED_HOLD): Promise<Buffer> {
  const declared = declaredLength(request.headers.get('content-length'));
  const refusedUpFront = declared === undefined ? undefined : refusal(declared, limit, hold);
  if (refusedUpFront) throw refusedUpFront;
  if (request.body === null) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let result: Awaited<ReturnType<typeof reader.read>>;
    try {
      result = await reader.read();
    } catch (error) {
      throw new HttpError('bad_request', 'the request body could not be read', { cause: error });
    }
    if (result.done) break;
    size += result.value.byteLength;
    const refused = refusal(size, limit, hold);
    if (refused) {
      // A stream that cannot be cancelled has already errored or ended: either way nothing more is read, and the
      // refusal below is the answer.
      await reader.cancel().catch(() => undefined);
      throw refused;
    }
    chunks.push(result.value);
  }
  return Buffer.concat(chunks, size);
}
