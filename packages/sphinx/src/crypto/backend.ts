/**
 * The crypto interface the packet code is written against (ARCHITECTURE.md, "Crypto backends").
 * Both implementations must give identical bytes; `noble` is the reference.
 */

export type BackendName = 'noble' | 'native';

export interface CryptoBackend {
  readonly name: BackendName;
  /** Which library serves each primitive; native falls back per primitive, so reports say which. */
  readonly implementations: Readonly<Record<Primitive, string>>;
  /**
   * X25519 per RFC 7748 §5: the scalar is clamped, the top bit of u is masked (SPHINX.md §2.1).
   * Low-order inputs yield 32 zero bytes, as x25519-dalek does, instead of an error (§8).
   */
  x25519(scalar: Uint8Array, u: Uint8Array): Uint8Array;
  /** X25519(scalar, 9): the same bytes as x25519 with the base point, by a faster fixed-base method where there is one. */
  x25519Base(scalar: Uint8Array): Uint8Array;
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** Full 32-byte HMAC-SHA256; the header MAC is its first 16 bytes (§2.1). */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** ρ: the AES-128-CTR keystream from an all-zero 128-bit big-endian counter (§2.1). */
  aes128CtrKeystream(key: Uint8Array, length: number): Uint8Array;
  /** In place: data ^= ChaCha20(key, zero nonce, counter 0) (§5.2, `S`). */
  chacha20XorInPlace(key: Uint8Array, data: Uint8Array): void;
  /** Keyed BLAKE2b with a 32-byte output in the parameter block (§5.2, `H`). */
  blake2b256(key: Uint8Array, data: Uint8Array): Uint8Array;
  randomBytes(length: number): Uint8Array;
}

export type Primitive = 'x25519' | 'hkdf' | 'hmac' | 'aesCtr' | 'chacha20' | 'blake2b' | 'random';

/** X25519 base point u = 9, little-endian (§2.1). */
export const X25519_BASE_POINT: Uint8Array = (() => {
  const b = new Uint8Array(32);
  b[0] = 9;
  return b;
})();
