/** Small byte helpers shared by the modules; no dependencies. */

export function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

/** Constant-time equality: time depends only on the length (MAC checks, §2.1). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** dst[dstOffset + i] ^= src[i] for every i of src. */
export function xorInto(dst: Uint8Array, src: Uint8Array, dstOffset = 0): void {
  for (let i = 0; i < src.length; i++) dst[dstOffset + i] = (dst[dstOffset + i] as number) ^ (src[i] as number);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function writeBigUint64BE(dst: Uint8Array, offset: number, value: bigint): void {
  new DataView(dst.buffer, dst.byteOffset, dst.byteLength).setBigUint64(offset, value, false);
}

export function readBigUint64BE(src: Uint8Array, offset: number): bigint {
  // Two 32-bit halves: cheaper than a DataView per packet on the hop's hot path.
  const word = (at: number) =>
    (src[at] as number) * 0x1000000 +
    (((src[at + 1] as number) << 16) | ((src[at + 2] as number) << 8) | (src[at + 3] as number));
  return (BigInt(word(offset)) << 32n) | BigInt(word(offset + 4));
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] as number];
  return s;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError('invalid hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * A copy of src[start:end], also when src is a Node Buffer (whose own slice() is a view into the
 * caller's memory): our outputs never alias our inputs.
 */
export function copyBytes(src: Uint8Array, start = 0, end = src.length): Uint8Array {
  return new Uint8Array(src.subarray(start, end));
}
