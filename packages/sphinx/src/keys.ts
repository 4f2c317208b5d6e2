/** X25519 key pairs for mix nodes and gateways (SPHINX.md §2.1: raw, unclamped private keys). */
import { getBackend } from './crypto/select.js';
import { guard } from './errors.js';
import type { BackendChoice } from './packet.js';
import { requireBytes } from './validate.js';

export interface KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export function generateKeyPair(opts?: { backend?: BackendChoice }): KeyPair {
  return guard(() => {
    const backend = getBackend(opts?.backend);
    const privateKey = backend.randomBytes(32);
    return { privateKey, publicKey: backend.x25519Base(privateKey) };
  });
}

/** Public key = X25519(sk, 9); clamping happens inside X25519. */
export function publicKeyFromPrivate(privateKey: Uint8Array, opts?: { backend?: BackendChoice }): Uint8Array {
  return guard(() => getBackend(opts?.backend).x25519Base(requireBytes('privateKey', privateKey, 32)));
}
