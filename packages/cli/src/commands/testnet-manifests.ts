/** `mixnet testnet manifests`: the kubernetes runtime's objects as YAML, for kubectl apply or GitOps. */
import type { Command } from 'commander';
import { parseDuration, parseIntFlag, parseNumberFlag, usageError } from '../output.js';

type PullPolicy = 'Never' | 'IfNotPresent' | 'Always';

export function parsePullPolicy(text: string): PullPolicy {
  if (text === 'Never' || text === 'IfNotPresent' || text === 'Always') return text;
  throw usageError(`--pull-policy must be Never, IfNotPresent or Always, got "${text}"`);
}

interface ManifestFlags {
  layers: string;
  activePerLayer: string;
  standby: string;
  gateways: string;
  standbyGateways: string;
  epoch: string;
  mu: string;
  chain: string;
  workers: string;
  mixCover: string;
  namespace: string;
  image: string;
  pullPolicy?: string;
  spread?: boolean;
  nodePortBase: string;
}

export function registerTestnetManifests(testnet: Command): void {
  testnet
    .command('manifests')
    .description(
      'print the Kubernetes objects of a testnet as one YAML stream (kubectl apply -f -); it holds the nodes’ private keys in Secrets',
    )
    .option('--layers <n>', 'mix layers (1–4)', '3')
    .option('--active-per-layer <n>', 'active mixes per layer', '1')
    .option('--standby <m>', 'standby mixes', '0')
    .option('--gateways <g>', 'gateways', '1')
    .option('--standby-gateways <k>', 'how many of the gateways are standby', '0')
    .option('--epoch <duration>', "the directory's epoch", '20s')
    .option('--mu <duration>', 'mean per-hop delay', '15ms')
    .option('--chain <chain>', 'hardhat, none, or the URL of a JSON-RPC node pods can reach', 'hardhat')
    .option('--workers <n>', 'worker threads per mix', '1')
    .option('--mix-cover <hz>', 'loop cover rate of each mix in packets/s', '0')
    .option('--namespace <ns>', 'the namespace', 'mixnet')
    .option('--image <image>', 'the image every pod runs', 'mixnet-testnet')
    .option('--pull-policy <policy>', 'Never, IfNotPresent or Always (default: Never for mixnet-testnet)')
    .option('--spread', "spread each layer over the cluster's nodes")
    .option('--node-port-base <port>', 'the directory’s NodePort; gateway g gets base + g', '30780')
    .action(async (f: ManifestFlags) => {
      const { renderKubernetesManifests } = await import('@mixnet/testnet/kubernetes');
      const r = await renderKubernetesManifests({
        layers: parseIntFlag(f.layers, '--layers', { min: 1, max: 4 }),
        nodesPerLayer: parseIntFlag(f.activePerLayer, '--active-per-layer', { min: 1, max: 64 }),
        standby: parseIntFlag(f.standby, '--standby', { min: 0, max: 256 }),
        gateways: parseIntFlag(f.gateways, '--gateways', { min: 1, max: 128 }),
        standbyGateways: parseIntFlag(f.standbyGateways, '--standby-gateways', { min: 0, max: 127 }),
        epochMs: parseDuration(f.epoch, '--epoch'),
        mu: parseDuration(f.mu, '--mu'),
        chain: f.chain,
        workers: parseIntFlag(f.workers, '--workers', { min: 0, max: 64 }),
        mixCoverHz: parseNumberFlag(f.mixCover, '--mix-cover', { min: 0, max: 10_000 }),
        namespace: f.namespace,
        image: f.image,
        ...(f.pullPolicy ? { imagePullPolicy: parsePullPolicy(f.pullPolicy) } : {}),
        spread: f.spread === true,
        nodePortBase: parseIntFlag(f.nodePortBase, '--node-port-base', { min: 1, max: 65_535 }),
      });
      process.stdout.write(
        `# mixnet testnet: kubectl apply -f this; clients outside dial the directory at http://<node address>:${r.directory.nodePort}\n# directory public key: ${r.directory.publicKey}\n${r.yaml}`,
      );
    });
}
