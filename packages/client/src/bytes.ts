/** Byte helpers for the client's own wire formats: a bounded reader and a writer. */
import { concatBytes, hex } from '@mixnet/sphinx/wire';

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Shared with @mixnet/sphinx (its bytes.ts), one implementation each. */
export { concatBytes as concat, constantTimeEqual, xorInto } from '@mixnet/sphinx/wire';

/** The project's hex encoder (`@mixnet/sphinx/wire`), for map keys of identifiers. */
export const toHex: (bytes: Uint8Array) => string = hex.encode;

export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** A reader that never reads past its input: every decoder of the client goes through it. */
export class Reader {
  private off = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}
  private need(n: number): void {
    if (this.off + n > this.bytes.length) throw new DecodeError(`${this.what}: truncated`);
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.off++] as number;
  }
  u16(): number {
    this.need(2);
    const v = ((this.bytes[this.off] as number) << 8) | (this.bytes[this.off + 1] as number);
    this.off += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const b = this.bytes;
    const o = this.off;
    this.off += 4;
    return (
      (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>>
      0
    );
  }
  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.slice(this.off, this.off + n);
    this.off += n;
    return out;
  }
  rest(): Uint8Array {
    const out = this.bytes.slice(this.off);
    this.off = this.bytes.length;
    return out;
  }
  get remaining(): number {
    return this.bytes.length - this.off;
  }
}

export class Writer {
  private readonly parts: Uint8Array[] = [];
  u8(v: number): this {
    this.parts.push(Uint8Array.of(v & 0xff));
    return this;
  }
  u16(v: number): this {
    this.parts.push(Uint8Array.of((v >>> 8) & 0xff, v & 0xff));
    return this;
  }
  u32(v: number): this {
    this.parts.push(Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff));
    return this;
  }
  bytes(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  finish(): Uint8Array {
    return concatBytes(...this.parts);
  }
}
