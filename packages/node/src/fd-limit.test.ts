import { describe, expect, it } from 'vitest';
import { openFileLimit } from './fd-limit.js';

describe('openFileLimit', () => {
  it('reads the soft limit from /proc/self/limits text', () => {
    const text =
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n';
    expect(openFileLimit(text)).toBe(1024);
    expect(openFileLimit(text.replace('1024 ', 'unlimited '))).toBeUndefined();
    expect(openFileLimit('nothing here')).toBeUndefined();
    if (process.platform === 'linux') expect(openFileLimit()).toBeGreaterThan(0);
  });
});
