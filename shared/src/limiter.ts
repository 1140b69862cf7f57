// A concurrency limit: the processor's deliveries per instance, the admin API's one dead-letter scan at a time, a
// redrive's republishes in flight.

/** At most `limit` tasks at once; the rest wait their turn in arrival order. */
export function createLimiter(limit: number) {
  let active = 0;
  const queue: Array<() => void> = [];
  let onIdle: Array<() => void> = [];
  // A finishing task hands its slot straight to the next waiter, so a newcomer cannot slip in between.
  const release = () => {
    const next = queue.shift();
    if (next) return next();
    active -= 1;
    if (active === 0) {
      for (const resolve of onIdle) resolve();
      onIdle = [];
    }
  };
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active >= limit) await new Promise<void>((resolve) => queue.push(resolve));
      else active += 1;
      try {
        return await task();
      } finally {
        release();
      }
    },
    stats: () => ({ active, waiting: queue.length }),
    /** Resolves once nothing runs or waits. */
    idle: () => (active === 0 ? Promise.resolve() : new Promise<void>((resolve) => onIdle.push(resolve))),
  };
}
