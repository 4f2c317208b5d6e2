/** Argument checks for the public API: each failure names the argument (issue #2, "bad input"). */
import { isBytes } from './bytes.js';
import { SphinxError, type SphinxErrorCode } from './errors.js';

export function requireBytes(
  name: string,
  value: unknown,
  length?: number,
  code: SphinxErrorCode = 'INVALID_ARGUMENT',
): Uint8Array {
  if (!isBytes(value)) throw new SphinxError(code, `${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new SphinxError(code, `${name} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

export function requireInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SphinxError('INVALID_ARGUMENT', `${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

const U64_MAX = (1n << 64n) - 1n;

export function requireU64(name: string, value: unknown): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
    throw new SphinxError('INVALID_ARGUMENT', `${name} must be a bigint in [0, 2^64 - 1], got ${String(value)}`);
  }
  return value;
}

export function requireObject(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null)
    throw new SphinxError('INVALID_ARGUMENT', `${name} must be an object`);
  return value as Record<string, unknown>;
}
