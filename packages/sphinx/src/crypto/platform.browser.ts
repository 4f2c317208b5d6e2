/**
 * The browser's platform (package.json "browser" field swaps it for platform.ts): no node:crypto
 * and no libsodium, so noble is the default and asking for the native backend is a clear error.
 */
import { SphinxError } from '../errors.js';
import type { BackendName, CryptoBackend } from './backend.js';
import type { NativeBackendOptions } from './native.js';

export function createNativeBackend(_options?: NativeBackendOptions): CryptoBackend {
  throw new SphinxError('INVALID_ARGUMENT', 'the "native" backend needs Node (node:crypto); use "noble" in a browser');
}
export const DEFAULT_BACKEND: BackendName = 'noble';
