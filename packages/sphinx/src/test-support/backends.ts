/** The backends every shared test suite runs against (libp2p-style compliance: one suite, each impl). */
import type { CryptoBackend } from '../crypto/backend.js';
import { createNativeBackend } from '../crypto/native.js';
import { createNobleBackend } from '../crypto/noble.js';
import { loadSodium } from '../crypto/sodium.js';

export const BACKENDS: [string, CryptoBackend][] = [
  ['noble', createNobleBackend()],
  ['native', createNativeBackend()],
  ['native without libsodium', createNativeBackend({ sodium: false })],
];

/** The native backend must really use libsodium where it is installed, or the suite tests fallbacks twice. */
export const SODIUM_INSTALLED = loadSodium() !== undefined;
