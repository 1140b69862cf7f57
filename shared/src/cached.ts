// Readiness checks ask a dependency (the topic, the ledger) whether it answers; health probes come often, so the
// answer is cached rather than turned into a load of its own.

/**
 * A probe asked at most once per `ttlMs`, its last answer given in between. A probe that throws counts as false,
 * and what it threw goes to `onFailure` (the services log it: a readiness check that fails says why).
 */
export function cachedProbe(probe: () => Promise<boolean>, ttlMs: number, onFailure?: (error: unknown) => void): () => Promise<boolean> {
  let last = { at: -Infinity, value: false };
  return async () => {
    if (Date.now() - last.at < ttlMs) return last.value;
    const value = await probe().catch((error: unknown) => {
      onFailure?.(error);
      return false;
    });
    last = { at: Date.now(), value };
    return value;
  };
}
