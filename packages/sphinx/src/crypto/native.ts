/**
 * The Node backend: node:crypto for HKDF, HMAC and AES-CTR; libsodium (sodium-native) for X25519,
 * ChaCha20 and keyed BLAKE2b. Each libsodium primitive falls back on its own when sodium-native is
 * missing: X25519 and ChaCha20 to node:crypto, BLAKE2b to noble (node:crypto has no keyed BLAKE2b).
 */
import {
  createCipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  getRandomValues,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import { blake2b } from '@noble/hashes/blake2.js';
import { type CryptoBackend, type Primitive, X25519_BASE_POINT } from './backend.js';
import { loadSodium, type SodiumNative } from './sodium.js';

export interface NativeBackendOptions {
  /** Use libsodium when installed (default true). `false` exercises the fallbacks. */
  sodium?: boolean;
}

const ZERO_IV16 = new Uint8Array(16);
const ZERO_NONCE8 = new Uint8Array(8);
const ZEROS = new Uint8Array(1024);
/** ρ always asks for 360 bytes (§2.1): keep that view rather than making one per packet. */
const ZEROS_360 = ZEROS.subarray(0, 360);

/** A plain Uint8Array view of a Buffer (no copy), so `.slice()` copies as callers expect. */
function plain(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function zeros(length: number): Uint8Array {
  if (length === 360) return ZEROS_360;
  return length <= ZEROS.length ? ZEROS.subarray(0, length) : new Uint8Array(length);
}

export function createNativeBackend(options: NativeBackendOptions = {}): CryptoBackend {
  const sodium = options.sodium === false ? undefined : loadSodium();
  const x25519 = sodium ? sodiumX25519(sodium) : nodeX25519();
  const chacha20XorInPlace = sodium ? sodiumChaCha20(sodium) : nodeChaCha20;
  const blake2b256 = sodium ? sodiumBlake2b(sodium) : nobleBlake2b;
  const lib = sodium ? 'libsodium (sodium-native)' : undefined;
  const implementations: Record<Primitive, string> = {
    x25519: lib ?? 'node:crypto',
    hkdf: 'node:crypto',
    hmac: 'node:crypto',
    aesCtr: 'node:crypto',
    chacha20: lib ?? 'node:crypto',
    blake2b: lib ?? '@noble/hashes',
    random: 'node:crypto',
  };
  return {
    name: 'native',
    implementations,
    x25519,
    x25519Base: sodium ? sodiumX25519Base(sodium) : (scalar) => x25519(scalar, X25519_BASE_POINT),
    hkdfSha256: (ikm, salt, info, length) => new Uint8Array(hkdfSync('sha256', ikm, salt, info, length)),
    hmacSha256: (key, data) => plain(createHmac('sha256', key).update(data).digest()),
    aes128CtrKeystream: (key, length) => plain(createCipheriv('aes-128-ctr', key, ZERO_IV16).update(zeros(length))),
    chacha20XorInPlace,
    blake2b256,
    randomBytes: (length) => getRandomValues(new Uint8Array(length)),
  };
}

function sodiumX25519(sodium: SodiumNative): CryptoBackend['x25519'] {
  return (scalar, u) => {
    const out = new Uint8Array(32);
    try {
      sodium.crypto_scalarmult(out, scalar, u);
    } catch {
      // libsodium refuses exactly the low-order u values (§8); x25519-dalek returns zeros for them.
      out.fill(0);
    }
    return out;
  };
}

function sodiumX25519Base(sodium: SodiumNative): CryptoBackend['x25519Base'] {
  // libsodium's fixed-base path (an Edwards comb, then to Montgomery u): ≈12 µs against ≈31 for the ladder.
  return (scalar) => {
    const out = new Uint8Array(32);
    sodium.crypto_scalarmult_base(out, scalar);
    return out;
  };
}

function sodiumChaCha20(sodium: SodiumNative): CryptoBackend['chacha20XorInPlace'] {
  // crypto_stream_chacha20 is DJB's 8-byte-nonce ChaCha20, the variant lioness 0.1.2 uses (§5.2).
  return (key, data) => sodium.crypto_stream_chacha20_xor(data, data, ZERO_NONCE8, key);
}

function sodiumBlake2b(sodium: SodiumNative): CryptoBackend['blake2b256'] {
  return (key, data) => {
    const out = new Uint8Array(32);
    sodium.crypto_generichash(out, data, key);
    return out;
  };
}

function nodeChaCha20(key: Uint8Array, data: Uint8Array): void {
  // OpenSSL's IV is counter (32-bit LE) || 96-bit nonce; all zero equals DJB's zero nonce, counter 0.
  data.set(createCipheriv('chacha20', key, ZERO_IV16).update(data));
}

function nobleBlake2b(key: Uint8Array, data: Uint8Array): Uint8Array {
  return blake2b(data, { key, dkLen: 32 });
}

/**
 * node:crypto X25519 through JWK import (≈6× cheaper than DER). OpenSSL wants "x" with "d" but does
 * not check it, so any 32 bytes do. A node's own key is imported once and kept (checked by value).
 */
function nodeX25519(): CryptoBackend['x25519'] {
  const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
  const placeholderX = b64(new Uint8Array(32));
  const privateKeys = new WeakMap<Uint8Array, { copy: Uint8Array; key: KeyObject }>();
  const privateKeyFor = (scalar: Uint8Array): KeyObject => {
    const hit = privateKeys.get(scalar);
    if (hit && Buffer.compare(hit.copy, scalar) === 0) return hit.key;
    const key = createPrivateKey({
      format: 'jwk',
      key: { kty: 'OKP', crv: 'X25519', d: b64(scalar), x: placeholderX },
    });
    privateKeys.set(scalar, { copy: scalar.slice(), key });
    return key;
  };
  return (scalar, u) => {
    try {
      const publicKey = createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'X25519', x: b64(u) } });
      return new Uint8Array(diffieHellman({ privateKey: privateKeyFor(scalar), publicKey }));
    } catch {
      // OpenSSL fails the derivation on an all-zero result (low-order u); Rust returns zeros (§8).
      return new Uint8Array(32);
    }
  };
}
