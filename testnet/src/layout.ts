/**
 * A testnet's state folder (ARCHITECTURE.md, "Configuration, keys, state"): everything `status`,
 * `logs` and `down` need from another shell, and what a crashed CLI leaves behind to clean up.
 *
 *   state.json          what runs: nodes, ports, pids, runtime, chain
 *   topology.json       what clients read
 *   configs/<id>.json   one per process (`mixnet run <role> --config FILE`)
 *   keys/<id>/…         private keys, mode 0600
 *   data/<id>/          replay filter, mailboxes
 *   logs/<id>.log       each process's output
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ProcessStart } from './proc-start.js';

export const DEFAULT_STATE_DIR = '.mixnet/testnet';

export type Role = 'mix' | 'gateway' | 'service-provider' | 'network-requester' | 'chain' | 'directory';
export type Runtime = 'process' | 'docker' | 'kubernetes';

export interface ProcessEntry {
  id: string;
  role: Role;
  layer?: number;
  /** Its region under `--latency geo` (geo.ts). */
  region?: string;
  /** host:port of its packet listener (mixes, gateways). */
  address?: string;
  /** Where its health and metrics are served. */
  metricsUrl: string;
  /** ws:// URL for clients (gateways), JSON-RPC URL (chain). */
  url?: string;
  configPath?: string;
  logPath: string;
  pid?: number;
  /** When `pid` started: `down` signals it only while this still matches (a pid can be reused). */
  started?: ProcessStart;
  container?: string;
  /** The node host running it (`mixnet run host`, packing.ts): its pid is the host's, shared. */
  host?: string;
  /** Kubernetes runtime: its current pod and the cluster node that runs it. */
  pod?: string;
  node?: string;
}

export interface TestnetState {
  version: 1;
  runtime: Runtime;
  createdAt: string;
  /** The CLI that brought it up (gone after `--detach` or a crash). */
  cliPid?: number;
  /** When the CLI started, checked before `down` signals `cliPid`. */
  cliStarted?: ProcessStart;
  layers: number;
  /** Active mixes per layer (the directory's activePerLayer; `scale` changes it). */
  nodesPerLayer: number;
  /** Mixes beyond layers × nodesPerLayer at `up`: they run, are monitored, and wait (directory only). */
  standby?: number;
  /** Gateways the directory keeps active (the rest run as standby). */
  activeGateways?: number;
  /** The directory's epoch length. */
  epochMs?: number;
  /** μ of the mixes' loop cover, and of clients when the directory publishes none. */
  mu: number;
  /** `--active auto`: the directory sizes the active set and publishes μ (clients take it from there). */
  activeSet?: { anonymityTargetBits: number; minWidth: number; maxWidth: number; mu: { minMs: number; maxMs: number } };
  /**
   * Offline topology file. With a directory: the first epoch's document body (written by `up` once
   * it is published); without: the generated layout.
   */
  topologyPath: string;
  /** The token of the nodes' /admin/faults (0600), for `testnet fault` from any shell or container host. */
  nodeAdminTokenFile?: string;
  /** The latency model of `up` (absent: none). */
  latency?: 'geo';
  /** The directory every process and client learns the network from (absent: static topology only). */
  directory?: { url: string; publicKey: string; adminTokenFile?: string };
  chainUrl?: string;
  serviceProvider?: { id: string; address: string };
  /** The SOCKS exit (issue 20), listed with the service providers. */
  networkRequester?: { id: string; address: string };
  processes: ProcessEntry[];
  /** Node hosts of a packed testnet (packing.ts): each runs the entries whose `host` is its id. */
  hosts?: { id: string; configPath: string; logPath: string }[];
  readyMs?: number;
  /** Trace folder, when traced: `down` writes its meta header. */
  trace?: string;
  /** The docker runtime's network and image. */
  docker?: { network: string; image: string; runId: string };
  /** The kubernetes runtime's cluster, namespace and what clients outside it dial. */
  kubernetes?: KubernetesState;
}

export interface KubernetesState {
  /** The kubeconfig context (absent: its current one at `up`). */
  context?: string;
  namespace: string;
  /** Labels (mixnet.io/run) every object of this testnet. */
  runId: string;
  image: string;
  spread: boolean;
  /** `up` created the namespace, so `down` deletes it. */
  createdNamespace: boolean;
  /** The cluster node address clients outside use for NodePorts. */
  nodeAddress: string;
  /** NodePorts: the directory's and each gateway's (clients' WebSocket). */
  nodePorts: { directory: number; gateways: Record<string, number> };
  /** The chain's URL inside the cluster (its Service). */
  chainUrl?: string;
}

export function stateDir(dir: string | undefined): string {
  return resolve(dir ?? process.env.MIXNET_STATE ?? DEFAULT_STATE_DIR);
}

export const paths = (dir: string) => ({
  state: join(dir, 'state.json'),
  topology: join(dir, 'topology.json'),
  config: (id: string) => join(dir, 'configs', `${id}.json`),
  keys: (id: string) => join(dir, 'keys', id),
  data: (id: string) => join(dir, 'data', id),
  log: (id: string) => join(dir, 'logs', `${id}.log`),
  chain: join(dir, 'chain'),
});

export function readState(dir: string): TestnetState | undefined {
  const file = paths(dir).state;
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as TestnetState;
}

/** Written atomically: a reader in another shell never sees half a file. */
export function writeState(dir: string, state: TestnetState): void {
  mkdirSync(dir, { recursive: true });
  const file = paths(dir).state;
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
