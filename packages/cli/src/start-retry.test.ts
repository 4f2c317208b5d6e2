import { describe, expect, it } from 'vitest';
import { startWithRetry } from './start-retry.js';

/** A fake clock: sleeping advances it, so the test takes no real time. */
function clock() {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
}

describe('startWithRetry', () => {
  it('tries again after a failed start and returns the first success, reporting each retry', async () => {
    const c = clock();
    let calls = 0;
    const retries: [number, string, number][] = [];
    const value = await startWithRetry(
      async () => {
        calls++;
        if (calls < 3) throw new Error(`gateway not ready (${calls})`);
        return 'up';
      },
      { ...c, delayMs: 100, onRetry: (a, e, w) => retries.push([a, e.message, w]) },
    );
    expect(value).toBe('up');
    expect(retries).toEqual([
      [1, 'gateway not ready (1)', 100],
      [2, 'gateway not ready (2)', 200],
    ]);
  });

  it('gives up with the last error once the total time would be exceeded', async () => {
    const c = clock();
    let calls = 0;
    await expect(
      startWithRetry(
        async () => {
          calls++;
          throw new Error(`down ${calls}`);
        },
        { ...c, totalMs: 1_000, delayMs: 100, maxDelayMs: 400 },
      ),
    ).rejects.toThrow(/^down \d+$/);
    // 100 + 200 + 400 = 700 ms of waits fit in 1 s; the next 400 would not.
    expect(calls).toBe(4);
    expect(c.now()).toBe(700);
  });
});
