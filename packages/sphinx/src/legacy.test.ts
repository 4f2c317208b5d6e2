/** The legacy ladder (Appendix B) against X25519, where the two must agree. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNobleBackend } from './crypto/noble.js';
import { montgomeryLadder } from './legacy.js';

const noble = createNobleBackend();

const clamp = (k: Uint8Array) => {
  const c = k.slice();
  c[0] = (c[0] as number) & 248;
  c[31] = ((c[31] as number) & 127) | 64;
  let x = 0n;
  for (let i = 31; i >= 0; i--) x = (x << 8n) | BigInt(c[i] as number);
  return x;
};

describe('legacy Montgomery ladder', () => {
  it('equals X25519 when given the clamped scalar', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (k, u) => {
          expect(montgomeryLadder(clamp(k), u)).toEqual(noble.x25519(k, u));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('multiplies by small and unclamped scalars: [1]u = u, [0]u = 0', () => {
    const u = noble.x25519(new Uint8Array(32).fill(5), Uint8Array.of(9, ...new Array(31).fill(0)));
    expect(montgomeryLadder(1n, u)).toEqual(u);
    expect(montgomeryLadder(0n, u)).toEqual(new Uint8Array(32));
    // [2]([3]u) = [6]u, with scalars far below the clamped range.
    expect(montgomeryLadder(2n, montgomeryLadder(3n, u))).toEqual(montgomeryLadder(6n, u));
  });
});
