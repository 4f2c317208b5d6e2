/**
 * How a client joins a testnet: through its directory when it runs one (routes from the current
 * epoch, keys that rotate), with topology.json as the fallback while the directory is out of reach;
 * from topology.json alone otherwise.
 */
import type { ClientOptions } from '@mixnet/client';
import type { TestnetState } from './layout.js';

export function clientNetwork(state: TestnetState): Pick<ClientOptions, 'directory' | 'topology'> {
  return state.directory
    ? { directory: { url: state.directory.url, publicKey: state.directory.publicKey }, topology: state.topologyPath }
    : { topology: state.topologyPath };
}
