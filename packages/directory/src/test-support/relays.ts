/**
 * Real relays for the integration tests, in this process: mixes and gateways of @mixnet/node on
 * loopback with their own keys, each with a TestIdentity that signs its descriptors (nodes do not
 * register themselves on this branch).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createGateway,
  createMixNode,
  generateNodeKeys,
  loadNodeKeys,
  type Membership,
  type MembershipNode,
  parseNodeConfig,
} from '@mixnet/node';
import { type TestIdentity, testIdentity } from './fixtures.js';

export interface TestRelay {
  id: string;
  role: 'mix' | 'gateway';
  identity: TestIdentity;
  stop(): Promise<void>;
}

const mesh: { node: { membership: Membership }; member: MembershipNode }[] = [];

export async function startRelay(dir: string, id: string, role: 'mix' | 'gateway'): Promise<TestRelay> {
  const files = {
    sphinxPrivateKeyFile: join(dir, id, 'sphinx.key'),
    identityPrivateKeyFile: join(dir, id, 'identity.key'),
  };
  generateNodeKeys(files);
  const keys = loadNodeKeys(files);
  const common = {
    id,
    listen: { host: '127.0.0.1', port: 0 },
    keys: files,
    dataDir: join(dir, id, 'data'),
    workers: 0,
    log: { level: 'silent' },
  };
  const config = parseNodeConfig(
    role === 'mix'
      ? { ...common, role: 'mix', layer: 1 }
      : { ...common, role: 'gateway', websocket: { host: '127.0.0.1', port: 0 } },
  );
  const node = config.role === 'mix' ? await createMixNode(config) : await createGateway(config);
  const started = (await node.start()) as { port: number; websocketPort?: number };
  // Nodes forward only among members (issue 14 #1); here every relay started is a member of every other.
  mesh.push({ node, member: { id, address: `127.0.0.1:${started.port}`, role } });
  for (const m of mesh) m.node.membership.update(mesh.map((x) => x.member));
  const identity = testIdentity(id, role, {
    secret: keys.identityPrivateKey,
    sphinx: { privateKey: keys.sphinxPrivateKey, publicKey: keys.sphinxPublicKey },
    address: `127.0.0.1:${started.port}`,
    ...(started.websocketPort ? { clientUrl: `ws://127.0.0.1:${started.websocketPort}` } : {}),
  });
  let stopped = false;
  return {
    id,
    role,
    identity,
    async stop() {
      if (stopped) return;
      stopped = true;
      await node.stop();
    },
  };
}

export async function startRelays(counts: {
  mixes: number;
  gateways: number;
}): Promise<{ dir: string; relays: TestRelay[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-relays-'));
  const relays: TestRelay[] = [];
  for (let i = 1; i <= counts.mixes; i++) relays.push(await startRelay(dir, `mix-${i}`, 'mix'));
  for (let i = 1; i <= counts.gateways; i++) relays.push(await startRelay(dir, `gateway-${i}`, 'gateway'));
  return { dir, relays };
}
