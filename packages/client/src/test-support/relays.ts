/**
 * Real mixes and gateways (`@mixnet/node`) in the test's process, on loopback, with keys in a
 * temporary folder: light enough for tests that need a network but not one process per node.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createGateway,
  createMixNode,
  generateNodeKeys,
  type Membership,
  type MembershipNode,
  parseNodeConfig,
} from '@mixnet/node';
import { hex, type TopologyGateway, type TopologyNode } from '@mixnet/sphinx/wire';

export interface RunningRelay<E extends TopologyNode> {
  entry: E;
  stop(): Promise<void>;
}

/**
 * Nodes forward only to members of the network (issue 14 #1): every relay started here is a member
 * of every other (a directory would tell them; these tests have none, or a test one).
 */
const mesh: { node: { membership: Membership }; member: MembershipNode }[] = [];
function joinMesh(node: { membership: Membership }, member: MembershipNode): void {
  mesh.push({ node, member });
  const all = mesh.map((m) => m.member);
  for (const m of mesh) m.node.membership.update(all);
}

const dir = () => mkdtempSync(join(tmpdir(), 'mixnet-relays-'));

function keysFor(base: string, id: string) {
  const keys = {
    sphinxPrivateKeyFile: join(base, id, 'sphinx.key'),
    identityPrivateKeyFile: join(base, id, 'identity.key'),
  };
  return { keys, pub: generateNodeKeys(keys) };
}

/** A relay of either role, started on loopback with fresh keys, and a member of the mesh. */
async function startRelay(id: string, role: 'mix' | 'gateway', layer = 1) {
  const base = dir();
  const { keys, pub } = keysFor(base, id);
  const common = { id, listen: { host: '127.0.0.1', port: 0 }, keys, dataDir: join(base, id, 'data'), workers: 0 };
  const config = parseNodeConfig(
    role === 'mix'
      ? { ...common, role, layer, log: { level: 'silent' } }
      : { ...common, role, websocket: { host: '127.0.0.1', port: 0 }, log: { level: 'silent' } },
  );
  const node = config.role === 'mix' ? await createMixNode(config) : await createGateway(config);
  const { port, websocketPort } = (await node.start()) as { port: number; websocketPort?: number };
  joinMesh(node, { id, address: `127.0.0.1:${port}`, role });
  const entry: TopologyNode = {
    id,
    address: `127.0.0.1:${port}`,
    sphinxKey: hex.encode(pub.sphinxPublicKey),
    identityKey: hex.encode(pub.identityPublicKey),
  };
  return { entry, websocketPort, stop: () => node.stop() };
}

export async function startMix(id: string, layer: number): Promise<RunningRelay<TopologyNode>> {
  const { entry, stop } = await startRelay(id, 'mix', layer);
  return { entry, stop };
}

export async function startGateway(id: string): Promise<RunningRelay<TopologyGateway>> {
  const { entry, websocketPort, stop } = await startRelay(id, 'gateway');
  return { entry: { ...entry, clientUrl: `ws://127.0.0.1:${websocketPort}` }, stop };
}
