// Reads a request body up to a limit, and not a byte further: an oversized body is refused as soon as its
// declared length or its running count passes the limit, so a hostile sender cannot make the ingress buffer it.
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../../shared/src/errors.ts';

export function tooLarge(limit: number): HttpError {
  return new HttpError('payload_too_large', `the body exceeds this source's limit of ${limit} bytes`);
}

function declaredLength(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** From Node's request stream: the fast path under @hono/node-server. */
export function readIncoming(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = declaredLength(incoming.headers['content-length']);
  if (declared !== undefined && declared > limit) return Promise.reject(tooLarge(limit));
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
      if (size > limit) {
        cleanup();
        incoming.pause();
        reject(tooLarge(limit));
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
export async function readRequest(request: Request, limit: number): Promise<Buffer> {
  const declared = declaredLength(request.headers.get('content-length'));
  if (declared !== undefined && declared > limit) throw tooLarge(limit);
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
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(result.value);
  }
  return Buffer.concat(chunks, size);
}
