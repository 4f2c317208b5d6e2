/**
 * Lioness wide-block cipher as instantiated by sphinx-packet 0.6.0: lioness 0.1.2 with ChaCha20
 * (zero nonce) and keyed BLAKE2b-256 (SPHINX.md §5.2). Works in place on the block.
 */
import { copyBytes, xorInto } from './bytes.js';
import { PAYLOAD_KEY_SIZE } from './constants.js';
import type { CryptoBackend } from './crypto/backend.js';
import { SphinxError } from './errors.js';

const L_SIZE = 32;

function checkBlock(key: Uint8Array, block: Uint8Array): void {
  if (key.length !== PAYLOAD_KEY_SIZE) {
    throw new SphinxError('INVALID_ARGUMENT', `Lioness key must be ${PAYLOAD_KEY_SIZE} bytes, got ${key.length}`);
  }
  if (block.length <= L_SIZE) {
    throw new SphinxError('INVALID_PAYLOAD', `Lioness block must be longer than ${L_SIZE} bytes, got ${block.length}`);
  }
}

/** R = S(L ⊕ k, R). */
function streamRound(backend: CryptoBackend, left: Uint8Array, k: Uint8Array, right: Uint8Array): void {
  const roundKey = copyBytes(left);
  xorInto(roundKey, k);
  backend.chacha20XorInPlace(roundKey, right);
}

/** L = L ⊕ H(k, R). */
function hashRound(backend: CryptoBackend, left: Uint8Array, k: Uint8Array, right: Uint8Array): void {
  xorInto(left, backend.blake2b256(k, right));
}

export function lionessEncryptInPlace(backend: CryptoBackend, key: Uint8Array, block: Uint8Array): void {
  checkBlock(key, block);
  const left = block.subarray(0, L_SIZE);
  const right = block.subarray(L_SIZE);
  streamRound(backend, left, key.subarray(0, 32), right);
  hashRound(backend, left, key.subarray(32, 96), right);
  streamRound(backend, left, key.subarray(96, 128), right);
  hashRound(backend, left, key.subarray(128, 192), right);
}

export function lionessDecryptInPlace(backend: CryptoBackend, key: Uint8Array, block: Uint8Array): void {
  checkBlock(key, block);
  const left = block.subarray(0, L_SIZE);
  const right = block.subarray(L_SIZE);
  hashRound(backend, left, key.subarray(128, 192), right);
  streamRound(backend, left, key.subarray(96, 128), right);
  hashRound(backend, left, key.subarray(32, 96), right);
  streamRound(backend, left, key.subarray(0, 32), right);
}
