/**
 * End-to-end encryption of what a packet carries, so that the exit gateway, which sees every
 * final-hop payload in the clear (SPHINX.md §4.2), learns nothing but its length.
 *
 * - To a client: an ephemeral X25519 key against the recipient's Ed25519 identity mapped to
 *   Montgomery form (the address is all a sender needs), then `ephemeral(32) || tag(16) || ct`.
 * - Under a one-time key (replies in SURBs): `tag(16) || ct`; the key is never reused.
 *
 * Both are encrypt-then-MAC: AES-128-CTR from HKDF-SHA256 keys, HMAC-SHA256 truncated to 16 bytes,
 * checked in constant time. The primitives are the Sphinx backend's, so native on Node.
 */
import { type CryptoBackend, generateKeyPair } from '@mixnet/sphinx';
import { ed25519 } from '@noble/curves/ed25519.js';
import { createBoundedCache } from './bounded-cache.js';
import { concat, constantTimeEqual, toHex, xorInto } from './bytes.js';

export const TAG_SIZE = 16;
export const EPHEMERAL_KEY_SIZE = 32;
/** A decoy takes the place of the ephemeral key (see `decoyKey`). */
export const DECOY_KEY_SIZE = EPHEMERAL_KEY_SIZE;
export const SEAL_OVERHEAD = EPHEMERAL_KEY_SIZE + TAG_SIZE;
export const SYMMETRIC_OVERHEAD = TAG_SIZE;

const SEAL_INFO = new TextEncoder().encode('mixnet-client-seal-v1');
const ONE_TIME_INFO = new TextEncoder().encode('mixnet-client-one-time-v1');
const EMPTY = new Uint8Array(0);
const REPLY_KEY_SALT = new TextEncoder().encode('mixnet-reply-key-v1');

/** The X25519 keys behind an Ed25519 identity (RFC 7748 birational map). */
export interface SealKeys {
  secret: Uint8Array;
  public: Uint8Array;
}

export function sealKeysFromIdentity(identitySecret: Uint8Array): SealKeys {
  return {
    secret: ed25519.utils.toMontgomerySecret(identitySecret),
    public: ed25519.utils.toMontgomery(ed25519.getPublicKey(identitySecret)),
  };
}

/** Peers' X25519 keys by identity hex (the map decompresses a point: a field square root). */
const sealKeyCache = createBoundedCache<Uint8Array>(1024);

export function sealPublicKey(identityPublic: Uint8Array): Uint8Array {
  return sealKeyCache.get(toHex(identityPublic), () => ed25519.utils.toMontgomery(identityPublic)).slice();
}

function encryptThenMac(backend: CryptoBackend, keys: Uint8Array, aad: Uint8Array, plaintext: Uint8Array) {
  const ct = backend.aes128CtrKeystream(keys.subarray(0, 16), plaintext.length);
  xorInto(ct, plaintext);
  const tag = backend.hmacSha256(keys.subarray(16, 48), concat(aad, ct)).subarray(0, TAG_SIZE);
  return { ct, tag };
}

function macThenDecrypt(
  backend: CryptoBackend,
  keys: Uint8Array,
  aad: Uint8Array,
  tag: Uint8Array,
  ct: Uint8Array,
): Uint8Array | null {
  const expected = backend.hmacSha256(keys.subarray(16, 48), concat(aad, ct)).subarray(0, TAG_SIZE);
  if (!constantTimeEqual(expected, tag)) return null;
  const pt = backend.aes128CtrKeystream(keys.subarray(0, 16), ct.length);
  xorInto(pt, ct);
  return pt;
}

/**
 * A public key nobody holds the secret of, drawn exactly as `seal` draws its ephemeral key: what
 * a payload without one puts where sealed data has it, so the two look alike (envelope.ts).
 */
export function decoyKey(backend: CryptoBackend): Uint8Array {
  return generateKeyPair({ backend }).publicKey;
}

/** Seals `plaintext` for the holder of `recipientSealKey` (from `sealPublicKey`). */
export function seal(backend: CryptoBackend, recipientSealKey: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const eph = generateKeyPair({ backend });
  const shared = backend.x25519(eph.privateKey, recipientSealKey);
  const keys = backend.hkdfSha256(shared, concat(eph.publicKey, recipientSealKey), SEAL_INFO, 48);
  const { ct, tag } = encryptThenMac(backend, keys, eph.publicKey, plaintext);
  return concat(eph.publicKey, tag, ct);
}

/** Opens a sealed box; null when it was not sealed for us or was altered. */
export function open(backend: CryptoBackend, keys: SealKeys, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < SEAL_OVERHEAD) return null;
  const ephPublic = sealed.subarray(0, 32);
  const shared = backend.x25519(keys.secret, ephPublic);
  if (shared.every((b) => b === 0)) return null; // low-order point
  const k = backend.hkdfSha256(shared, concat(ephPublic, keys.public), SEAL_INFO, 48);
  return macThenDecrypt(backend, k, ephPublic, sealed.subarray(32, SEAL_OVERHEAD), sealed.subarray(SEAL_OVERHEAD));
}

/** One-time-key encryption (each key encrypts one message only: the CTR nonce is fixed). */
export function sealOneTime(backend: CryptoBackend, key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const keys = backend.hkdfSha256(key, EMPTY, ONE_TIME_INFO, 48);
  const { ct, tag } = encryptThenMac(backend, keys, EMPTY, plaintext);
  return concat(tag, ct);
}

export function openOneTime(backend: CryptoBackend, key: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < TAG_SIZE) return null;
  const keys = backend.hkdfSha256(key, EMPTY, ONE_TIME_INFO, 48);
  return macThenDecrypt(backend, keys, EMPTY, sealed.subarray(0, TAG_SIZE), sealed.subarray(TAG_SIZE));
}

/** The one-time key of reply SURB `index` of a request (both ends derive it from the request secret). */
export function replyKey(backend: CryptoBackend, requestSecret: Uint8Array, index: number): Uint8Array {
  const info = new Uint8Array(4);
  new DataView(info.buffer).setUint32(0, index);
  return backend.hkdfSha256(requestSecret, REPLY_KEY_SALT, info, 32);
}
