/** The portable backend: @noble/* only, no Node APIs, so it also runs in browsers. */

import { ctr } from '@noble/ciphers/aes.js';
import { chacha20orig } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import type { CryptoBackend } from './backend.js';

const ZERO_IV16 = new Uint8Array(16);
const ZERO_NONCE8 = new Uint8Array(8);

export function createNobleBackend(): CryptoBackend {
  return {
    name: 'noble',
    implementations: {
      x25519: '@noble/curves',
      hkdf: '@noble/hashes',
      hmac: '@noble/hashes',
      aesCtr: '@noble/ciphers',
      chacha20: '@noble/ciphers',
      blake2b: '@noble/hashes',
      random: '@noble/hashes (crypto.getRandomValues)',
    },
    x25519(scalar, u) {
      try {
        return x25519.scalarMult(scalar, u);
      } catch {
        // noble refuses exactly the low-order u values whose product is zero; Rust returns zeros (§8).
        return new Uint8Array(32);
      }
    },
    x25519Base: (scalar) => x25519.scalarMultBase(scalar),
    hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
    hmacSha256: (key, data) => hmac(sha256, key, data),
    aes128CtrKeystream: (key, length) => ctr(key, ZERO_IV16).encrypt(new Uint8Array(length)),
    chacha20XorInPlace(key, data) {
      // chacha20orig is DJB's 8-byte-nonce variant, the one lioness 0.1.2 uses (§5.2).
      chacha20orig(key, ZERO_NONCE8, data, data);
    },
    blake2b256: (key, data) => blake2b(data, { key, dkLen: 32 }),
    randomBytes: (length) => randomBytes(length),
  };
}
