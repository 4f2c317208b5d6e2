/**
 * Client addresses, as `<identity hex>@<gateway id>`: the 32-byte Ed25519 identity the final hop
 * delivers to (SPHINX.md §1.3) and the gateway it is registered with. A service provider can also be
 * named by its id in the topology.
 */
import type { Topology } from '@mixnet/sphinx/wire';
import { toHex } from './bytes.js';

export interface Recipient {
  identity: Uint8Array;
  gateway: string;
}

export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

export function formatRecipient(r: Recipient): string {
  return `${toHex(r.identity)}@${r.gateway}`;
}

export function parseRecipient(to: string | Recipient, topology: Topology): Recipient {
  if (typeof to !== 'string') return to;
  const sp = topology.serviceProviders.find((s) => s.id === to || s.address === to);
  if (sp) return { identity: Uint8Array.from(Buffer.from(sp.address, 'hex')), gateway: sp.gateway };
  const m = /^([0-9a-f]{64})@(.+)$/.exec(to);
  if (!m) throw new AddressError(`"${to}" is not an address (<64 hex>@<gateway id>) or a service provider id`);
  const gateway = m[2] as string;
  if (!topology.gateways.some((g) => g.id === gateway))
    throw new AddressError(`address "${to}": no gateway "${gateway}" in the topology`);
  return { identity: Uint8Array.from(Buffer.from(m[1] as string, 'hex')), gateway };
}
