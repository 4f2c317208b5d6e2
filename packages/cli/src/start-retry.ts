/**
 * A service (service provider, network requester) that cannot reach its gateway or the directory
 * at start-up waits and tries again instead of exiting: on a loaded machine a gateway can take
 * longer than one connect timeout to answer, and a supervisor restarting the whole process would
 * only lose more time. Configuration errors are raised before this and still fail at once.
 */
export interface StartRetryOptions {
  /** Give up after this long since the first attempt (the last error is thrown). */
  totalMs?: number;
  /** First pause between attempts; doubles up to `maxDelayMs`. */
  delayMs?: number;
  maxDelayMs?: number;
  onRetry?: (attempt: number, err: Error, waitMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export async function startWithRetry<T>(start: () => Promise<T>, o: StartRetryOptions = {}): Promise<T> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + (o.totalMs ?? 120_000);
  let wait = o.delayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      if (now() + wait > deadline) throw e;
      o.onRetry?.(attempt, e, wait);
      await sleep(wait);
      wait = Math.min(wait * 2, o.maxDelayMs ?? 5_000);
    }
  }
}
