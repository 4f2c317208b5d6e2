/** Shared-secret expansion (SPHINX.md §2.2) and version-259 payload keys (Appendix A). */
import { utf8 } from './bytes.js';
import {
  EXPANDED_SHARED_SECRET_LENGTH,
  HKDF_INFO,
  PAYLOAD_KEY_HKDF_INFO,
  PAYLOAD_KEY_HKDF_SALT,
  PAYLOAD_KEY_SIZE,
} from './constants.js';
import type { CryptoBackend } from './crypto/backend.js';

const EMPTY = new Uint8Array(0);
const INFO = utf8(HKDF_INFO);
const SEED_SALT = utf8(PAYLOAD_KEY_HKDF_SALT);
const SEED_INFO = utf8(PAYLOAD_KEY_HKDF_INFO);

/** Byte ranges of the 288-byte expansion E (§2.2). */
export const STREAM_KEY = [0, 16] as const;
export const HEADER_MAC_KEY = [16, 32] as const;
export const PAYLOAD_KEY = [32, 224] as const;
export const PAYLOAD_KEY_SEED = [32, 48] as const;
export const BLINDING_FACTOR = [224, 256] as const;
export const REPLAY_TAG = [256, 288] as const;

/** E = HKDF-SHA256(salt = "", ikm = s, info = the 97-byte string, L = 288). */
export function expandSharedSecret(backend: CryptoBackend, sharedSecret: Uint8Array): Uint8Array {
  return backend.hkdfSha256(sharedSecret, EMPTY, INFO, EXPANDED_SHARED_SECRET_LENGTH);
}

/** Appendix A: the 192-byte Lioness key of version 259 from its 16-byte seed E[32:48]. */
export function payloadKeyFromSeed(backend: CryptoBackend, seed: Uint8Array): Uint8Array {
  return backend.hkdfSha256(seed, SEED_SALT, SEED_INFO, PAYLOAD_KEY_SIZE);
}
