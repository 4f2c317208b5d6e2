/** Loads sodium-native (an optional dependency) when it is installed; otherwise undefined. */
import { createRequire } from 'node:module';

/** The few libsodium calls the native backend uses (sodium-native's signatures). */
export interface SodiumNative {
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void;
  crypto_stream_chacha20_xor(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void;
  crypto_generichash(out: Uint8Array, input: Uint8Array, key?: Uint8Array): void;
}

let cached: SodiumNative | null | undefined;

export function loadSodium(): SodiumNative | undefined {
  if (cached === undefined) {
    try {
      cached = createRequire(import.meta.url)('sodium-native') as SodiumNative;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}
