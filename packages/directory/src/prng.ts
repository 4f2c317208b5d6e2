/**
 * The draw's randomness (docs/directory.md §4): the ChaCha20 (RFC 8439) keystream under the
 * epoch's 32-byte seed, nonce zero, block counter from 0. Anyone holding the seed reads the same
 * numbers, so the draw can be recomputed from the published document.
 */
import { chacha20 } from '@noble/ciphers/chacha.js';

const BLOCKS = 16;
const CHUNK = 64 * BLOCKS;

export interface SeededRandom {
  /** Uniform in (0, 1): the next 8 keystream bytes, big-endian, top 53 bits, plus one half, over 2^53. */
  uniform(): number;
}

export function createSeededRandom(seed: Uint8Array): SeededRandom {
  if (seed.length !== 32) throw new RangeError('the seed must be 32 bytes');
  const key = Uint8Array.from(seed);
  const nonce = new Uint8Array(12);
  let counter = 0;
  let buf = new Uint8Array(0);
  let off = 0;
  const next8 = (): DataView => {
    if (off + 8 > buf.length) {
      buf = chacha20(key, nonce, new Uint8Array(CHUNK), undefined, counter);
      counter += BLOCKS;
      off = 0;
    }
    const view = new DataView(buf.buffer, buf.byteOffset + off, 8);
    off += 8;
    return view;
  };
  return {
    uniform() {
      const v = next8();
      const hi = v.getUint32(0, false);
      const lo = v.getUint32(4, false);
      // 53 bits: all 32 of hi and the top 21 of lo.
      const x = hi * 2 ** 21 + (lo >>> 11);
      return (x + 0.5) / 2 ** 53;
    },
  };
}
