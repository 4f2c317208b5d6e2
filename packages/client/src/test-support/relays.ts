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
  // A restarted relay replaces its old self.
  const i = mesh.findIndex((m) => m.member.id === member.id);
  if (i >= 0) mesh.splice(i, 1);
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
  const common = { id, keys, dataDir: join(base, id, 'data'), workers: 0, log: { level: 'silent' } };
  const configFor = (port: number, websocketPort: number) =>
    parseNodeConfig(
      role === 'mix'
        ? { ...common, role, layer, listen: { host: '127.0.0.1', port } }
        : {
            ...common,
            role,
            listen: { host: '127.0.0.1', port },
            websocket: { host: '127.0.0.1', port: websocketPort },
          },
    );
  const run = async (port: number, websocketPort: number) => {
    const config = configFor(port, websocketPort);
    const node = config.role === 'mix' ? await createMixNode(config) : await createGateway(config);
    const bound = (await node.start()) as { port: number; websocketPort?: number };
    joinMesh(node, { id, address: `127.0.0.1:${bound.port}`, role });
    return { node, port: bound.port, websocketPort: bound.websocketPort };
  };
  let running = await run(0, 0);
  const entry: TopologyNode = {
    id,
    address: `127.0.0.1:${running.port}`,
    sphinxKey: hex.encode(pub.sphinxPublicKey),
    identityKey: hex.encode(pub.identityPublicKey),
  };
  const stop = () => running.node.stop();
  // Stopped gracefully, then started again on the same ports with the same keys and data.
  const restart = async (downMs = 0) => {
    await running.node.stop();
    await new Promise((r) => setTimeout(r, downMs));
    running = await run(running.port, running.websocketPort ?? 0);
  };
  return { entry, websocketPort: running.websocketPort, stop, restart };
}

export async function startMix(id: string, layer: number): Promise<RunningRelay<TopologyNode>> {
  const { entry, stop } = await startRelay(id, 'mix', layer);
  return { entry, stop };
}

export interface RunningGateway extends RunningRelay<TopologyGateway> {
  /** A graceful stop, `downMs` down, then a start with the same ports, keys and data (its mailbox). */
  restart(downMs?: number): Promise<void>;
}

export async function startGateway(id: string): Promise<RunningGateway> {
  const { entry, websocketPort, stop, restart } = await startRelay(id, 'gateway');
  return { entry: { ...entry, clientUrl: `ws://127.0.0.1:${websocketPort}` }, stop, restart };
}
