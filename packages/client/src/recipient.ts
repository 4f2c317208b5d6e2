/**
 * Client addresses, as `<identity hex>@<gateway id>`: the 32-byte Ed25519 identity the final hop
 * delivers to (SPHINX.md §1.3) and the gateway it is registered with. A service provider can also be
 * named by its id in the topology.
 */
import { hex, type Topology } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import { createBoundedCache } from './bounded-cache.js';
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

/** Identities already checked, by hex: a client sends to few peers, many times each. */
const checkedIdentities = createBoundedCache<Uint8Array>(1024);

/** 32 bytes of hex that must be an Ed25519 public key: nothing can be sealed to anything else. */
function identityFromHex(text: string, what: string): Uint8Array {
  try {
    return checkedIdentities
      .get(text, () => {
        const identity = hex.decode(text);
        ed25519.Point.fromBytes(identity);
        return identity;
      })
      .slice();
  } catch {
    throw new AddressError(`${what}: ${text} is not an Ed25519 public key`);
  }
}

/** `knownGateway`: whether a gateway id may be addressed (default: listed in `topology`). */
export function parseRecipient(
  to: string | Recipient,
  topology: Topology,
  knownGateway: (id: string) => boolean = (id) => topology.gateways.some((g) => g.id === id),
): Recipient {
  if (typeof to !== 'string') return to;
  const sp = topology.serviceProviders.find((s) => s.id === to || s.address === to);
  if (sp) return { identity: identityFromHex(sp.address, `service provider "${sp.id}"`), gateway: sp.gateway };
  const m = /^([0-9a-f]{64})@(.+)$/.exec(to);
  if (!m) throw new AddressError(`"${to}" is not an address (<64 hex>@<gateway id>) or a service provider id`);
  const gateway = m[2] as string;
  if (!knownGateway(gateway)) throw new AddressError(`address "${to}": no gateway "${gateway}" in the topology`);
  return { identity: identityFromHex(m[1] as string, `address "${to}"`), gateway };
}
