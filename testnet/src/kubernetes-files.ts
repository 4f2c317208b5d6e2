/**
 * A testnet's files for Kubernetes: generated into the state folder as for the other runtimes
 * (generate.ts), with in-pod addresses (fixed ports, __POD_IP__ for what a pod announces, the
 * directory and chain by their Service), then read back into one WorkloadSpec per node.
 *
 * With a directory every member list and route comes from its document, so the configs drop the
 * topology file (its addresses would be placeholders); a gateway publishes, for clients, the
 * NodePort of its Service on the node it runs on (`websocket.announce`), while mixes reach it by
 * its pod IP.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEV_CHAIN_ID } from './chain.js';
import { type Allocate, generateTestnet, PlanError, type TestnetPlan } from './generate.js';
import { HOST_IP, K8S_PORTS, POD_IP, type WorkloadSpec } from './kubernetes-manifests.js';
import { type ProcessEntry, paths, type TestnetState } from './layout.js';

export interface KubernetesHosts {
  /** How pods reach the directory: its Service's ClusterIP, or its DNS name. */
  directoryHost: string;
  /** How pods reach the chain (hardhat): its Service's ClusterIP, or its DNS name. */
  chainHost: string;
  /** Each gateway's NodePort (its clients' WebSocket, from outside the cluster). */
  gatewayNodePorts: Record<string, number>;
  /** Where pods get their IPs (the nodes' podCIDRs), else every private range: members until the first document. */
  podCidrs?: string[];
}

/** RFC 1918: where a cluster's pod network is when its nodes do not say. */
export const PRIVATE_CIDRS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

/** The DNS name of a Service of `namespace` (when its ClusterIP is not known yet). */
export const serviceHost = (name: string, namespace: string) => `${name}.${namespace}.svc.cluster.local`;

/** Refuses what cannot run on a cluster (before anything is generated). */
export function checkKubernetesPlan(plan: TestnetPlan): void {
  if (!plan.directory)
    throw new PlanError(
      '--runtime kubernetes needs the directory: pods get their IPs only when they start, so a static topology cannot be written beforehand (drop --no-directory)',
    );
  if (plan.trace) throw new PlanError('--trace needs --no-directory, which --runtime kubernetes cannot run');
  if (plan.chain !== 'hardhat' && plan.chain !== 'none' && /^https?:\/\/(127\.|localhost|\[::1\])/.test(plan.chain))
    throw new PlanError(`--chain ${plan.chain} is a loopback URL: pods cannot reach it; give an address they can`);
}

export function kubernetesAllocator(hosts: KubernetesHosts): Allocate {
  return async (_id, role) => {
    if (role === 'directory')
      return { host: hosts.directoryHost, listenHost: '0.0.0.0', port: K8S_PORTS.directory, metricsPort: 0 };
    if (role === 'chain')
      return { host: hosts.chainHost, listenHost: '0.0.0.0', port: K8S_PORTS.chain, metricsPort: 0 };
    return {
      host: POD_IP,
      listenHost: '0.0.0.0',
      port: K8S_PORTS.packets,
      metricsPort: K8S_PORTS.metrics,
      ...(role === 'gateway' ? { websocketPort: K8S_PORTS.websocket } : {}),
    };
  };
}

/** A node's config as it should run in its pod. */
export function podConfig(
  config: Record<string, unknown>,
  gatewayNodePort?: number,
  podCidrs: string[] = PRIVATE_CIDRS,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  delete out.network;
  // Relays learn their peers from the directory's document; the first one needs peers already relaying.
  if (out.role === 'mix' || out.role === 'gateway') out.bootstrapPeers = podCidrs;
  if (out.role === 'service-provider' || out.role === 'network-requester') delete out.topology;
  const cover = out.cover as Record<string, unknown> | undefined;
  if (cover) {
    const { topologyFile: _t, ...rest } = cover;
    out.cover = rest;
  }
  if (out.role === 'gateway') {
    if (gatewayNodePort === undefined) throw new Error(`${String(out.id)}: no NodePort for its clients`);
    out.websocket = { ...(out.websocket as object), announce: { host: HOST_IP, port: gatewayNodePort } };
  }
  return out;
}

function privateFiles(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name);
    if (statSync(file).isFile()) out[name] = readFileSync(file, 'utf8');
  }
  return out;
}

/** The hardhat config inside the chain's pod (chain.ts writes the host's). */
export const hardhatConfigForPod = () =>
  `module.exports = { networks: { hardhat: { chainId: ${DEV_CHAIN_ID}, mining: { auto: true } } }, paths: { cache: "/mixnet/chain/cache" } };\n`;

/** Reads one node's files from the state folder (its config rewritten for its pod, written back). */
export function workloadOf(dir: string, p: ProcessEntry, hosts: KubernetesHosts): WorkloadSpec {
  const base = { id: p.id, role: p.role, ...(p.layer !== undefined ? { layer: p.layer } : {}) };
  if (p.role === 'chain') return { ...base, secrets: {}, files: { 'hardhat.config.cjs': hardhatConfigForPod() } };
  const file = p.configPath as string;
  const config = podConfig(JSON.parse(readFileSync(file, 'utf8')), hosts.gatewayNodePorts[p.id], hosts.podCidrs);
  const text = `${JSON.stringify(config, null, 2)}\n`;
  // The state folder keeps what the pod runs (with its placeholders), for `manifests` and debugging.
  writeFileSync(file, text);
  return { ...base, config: text, secrets: privateFiles(paths(dir).keys(p.id)) };
}

export interface KubernetesFiles {
  state: TestnetState;
  workloads: WorkloadSpec[];
}

/** Generates keys and configs into `dir` and returns the workloads to run them. */
export async function generateForKubernetes(
  dir: string,
  plan: TestnetPlan,
  hosts: KubernetesHosts,
): Promise<KubernetesFiles> {
  checkKubernetesPlan(plan);
  const { state } = await generateTestnet(dir, { ...plan, host: '0.0.0.0' }, kubernetesAllocator(hosts));
  const workloads = state.processes.map((p) => workloadOf(dir, p, hosts));
  return { state, workloads };
}
