/** Backend choice: an explicit option, else MIXNET_CRYPTO, else native on Node (noble in a browser). */
import { SphinxError } from '../errors.js';
import type { BackendName, CryptoBackend } from './backend.js';
import { createNobleBackend } from './noble.js';
import { createNativeBackend, DEFAULT_BACKEND } from './platform.js';

const instances = new Map<BackendName, CryptoBackend>();

export function defaultBackendName(): BackendName {
  const env = typeof process !== 'undefined' ? process.env.MIXNET_CRYPTO : undefined;
  if (env === undefined || env === '') return DEFAULT_BACKEND;
  if (env === 'native' || env === 'noble') return env;
  throw new SphinxError('INVALID_ARGUMENT', `MIXNET_CRYPTO must be "native" or "noble", got "${env}"`);
}

export function getBackend(name?: BackendName | CryptoBackend): CryptoBackend {
  if (typeof name === 'object' && name !== null) return name;
  const wanted = name ?? defaultBackendName();
  let backend = instances.get(wanted);
  if (!backend) {
    if (wanted === 'native') backend = createNativeBackend();
    else if (wanted === 'noble') backend = createNobleBackend();
    else throw new SphinxError('INVALID_ARGUMENT', `backend must be "native" or "noble", got "${String(wanted)}"`);
    instances.set(wanted, backend);
  }
  return backend;
}
