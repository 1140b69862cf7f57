/**
 * A probe asked at most once per `ttlMs`, its last answer given in between; a probe that throws counts as false.
 * Readiness checks use it so that health probes cannot turn into a load of their own.
 */
export function cachedProbe(probe: () => Promise<boolean>, ttlMs: number): () => Promise<boolean> {
  let last = { at: -Infinity, value: false };
  return async () => {
    if (Date.now() - last.at < ttlMs) return last.value;
    const value = await probe().catch(() => false);
    last = { at: Date.now(), value };
    return value;
  };
}
