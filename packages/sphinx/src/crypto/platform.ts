/**
 * What this platform offers the backend choice. On Node: the native backend, and it is the default.
 * Bundlers for the browser swap in platform.browser.ts (package.json "browser" field).
 */
import type { BackendName } from './backend.js';

export { createNativeBackend } from './native.js';
export const DEFAULT_BACKEND: BackendName = 'native';
