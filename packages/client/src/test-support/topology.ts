/** A valid topology with real keys, for the unit tests. */
import { generateKeyPair } from '@mixnet/sphinx';
import { hex as hexCodec, type Topology, type TopologyGateway, type TopologyNode } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';

const hex = hexCodec.encode;

let port = 20_000;

export function testNode(id: string): TopologyNode {
  return {
    id,
    address: `127.0.0.${1 + (port % 200)}:${port++}`,
    sphinxKey: hex(generateKeyPair().publicKey),
    identityKey: hex(ed25519.getPublicKey(ed25519.utils.randomSecretKey())),
  };
}

export function testGateway(id: string): TopologyGateway {
  return { ...testNode(id), clientUrl: `ws://127.0.0.1:${port++}` };
}

/** `layers[i]` mixes in layer i, `gateways` gateways, and one service provider "sp" on the first gateway. */
export function testTopology(layers: number[] = [2, 2, 2], gateways = 2): Topology & { spSecret: Uint8Array } {
  const spSecret = ed25519.utils.randomSecretKey();
  const gws = Array.from({ length: gateways }, (_, i) => testGateway(`gw${i}`));
  return {
    layers: layers.map((n, l) => Array.from({ length: n }, (_, i) => testNode(`mix-${l}-${i}`))),
    gateways: gws,
    serviceProviders: [{ id: 'sp', address: hex(ed25519.getPublicKey(spSecret)), gateway: 'gw0' }],
    spSecret,
  };
}
