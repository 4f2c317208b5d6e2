/** The main thread's budget for inline Sphinx processing (issue 16 #4). */
import { describe, expect, it } from 'vitest';
import { createInlineBudget } from './inline-budget.js';

describe('inline budget', () => {
  it('allows small batches until the window’s share is spent, then again in the next window', () => {
    let t = 0;
    const b = createInlineBudget({ share: 0.25, maxBatch: 4, windowMs: 100, now: () => t });
    expect(b.allows(4)).toBe(true);
    expect(b.allows(5)).toBe(false);
    b.spent(20);
    t = 50;
    expect(b.allows(1)).toBe(true);
    b.spent(6); // 26 ms of 25 in this window
    expect(b.allows(1)).toBe(false);
    t = 100;
    expect(b.allows(1)).toBe(true);
  });

  it('never allows with share 0, and refuses a share outside [0, 1]', () => {
    expect(createInlineBudget({ share: 0 }).allows(1)).toBe(false);
    expect(() => createInlineBudget({ share: 1.5 })).toThrow(/inline share/);
  });
});
