/**
 * Generates a testnet into its state folder: keys (0600), ports, one config per process, and the
 * topology clients read. Pure file work; starting the processes is the runtime's job.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateNodeKeys } from '@mixnet/node';
import type { Topology } from '@mixnet/sphinx/wire';
import { type ProcessEntry, paths, type TestnetState } from './layout.js';
import { freePort } from './ports.js';

export interface TestnetPlan {
  layers: number;
  nodesPerLayer: number;
  gateways: number;
  /** Mean per-hop delay in ms, for the clients (and the mixes' loop cover). */
  mu: number;
  /** 'hardhat': start one; 'none': no chain and no service provider; a URL: an existing node. */
  chain: 'hardhat' | 'none' | string;
  /** Host the processes listen on and announce. */
  host: string;
  /** Mix loop cover rate (Hz, Loopix λ_M); 0 = off. */
  mixCoverHz: number;
  /** Worker threads per mix. */
  workers: number;
  logLevel: string;
  /** Trace mode (ANONYMITY.md §1): every node and the service provider write JSON lines here. */
  trace?: string;
  /** Per-hop link emulation (latency, jitter, loss), for experiments. */
  emulation?: { latencyMs?: number; jitterMs?: number; lossRate?: number };
}

/** Where one process listens (`listenHost`) and is reached (`host`): loopback ports, or a container's IP. */
export interface Endpoint {
  host: string;
  listenHost: string;
  port: number;
  metricsPort: number;
  websocketPort?: number;
}

export type Allocate = (id: string, role: 'mix' | 'gateway' | 'service-provider' | 'chain') => Promise<Endpoint>;

/** The process runtime's allocation: free loopback ports on `host`. */
export function loopbackAllocator(host: string): Allocate {
  return async (_id, role) => ({
    host,
    listenHost: host,
    port: await freePort(),
    metricsPort: await freePort(),
    ...(role === 'gateway' ? { websocketPort: await freePort() } : {}),
  });
}

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

export function checkPlan(p: TestnetPlan): void {
  const int = (name: string, v: number, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max)
      throw new PlanError(`--${name} must be an integer from ${min} to ${max}, got ${v}`);
  };
  int('layers', p.layers, 1, 4);
  int('nodes-per-layer', p.nodesPerLayer, 1, 16);
  int('gateways', p.gateways, 1, 8);
  if (!Number.isFinite(p.mu) || p.mu < 0) throw new PlanError(`--mu must be ≥ 0 ms, got ${p.mu}`);
  if (p.chain !== 'hardhat' && p.chain !== 'none' && !/^https?:\/\//.test(p.chain))
    throw new PlanError(`--chain must be hardhat, none or an http(s) URL, got "${p.chain}"`);
}

export interface GeneratedTestnet {
  state: TestnetState;
  topology: Topology;
  /** The chain's port and listening host when we start hardhat. */
  chainPort?: number;
  chainHost?: string;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export async function generateTestnet(
  dir: string,
  plan: TestnetPlan,
  allocate: Allocate = loopbackAllocator(plan.host),
): Promise<GeneratedTestnet> {
  checkPlan(plan);
  const p = paths(dir);
  for (const sub of ['configs', 'keys', 'data', 'logs']) rmSync(join(dir, sub), { recursive: true, force: true });
  mkdirSync(join(dir, 'configs'), { recursive: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const rel = (file: string) => relative(join(dir, 'configs'), file);
  const processes: ProcessEntry[] = [];
  const topology: Topology = { layers: [], gateways: [], serviceProviders: [] };

  const relay = async (id: string, role: 'mix' | 'gateway', layer?: number) => {
    const ep = await allocate(id, role);
    const { port, metricsPort, websocketPort } = ep;
    const keyDir = p.keys(id);
    const keys = {
      sphinxPrivateKeyFile: join(keyDir, 'sphinx.key'),
      identityPrivateKeyFile: join(keyDir, 'identity.key'),
    };
    const pub = generateNodeKeys(keys);
    const config = {
      role,
      id,
      listen: { host: ep.listenHost, port },
      ...(ep.listenHost !== ep.host ? { announce: { host: ep.host, port } } : {}),
      keys: {
        sphinxPrivateKeyFile: rel(keys.sphinxPrivateKeyFile),
        identityPrivateKeyFile: rel(keys.identityPrivateKeyFile),
      },
      dataDir: rel(p.data(id)),
      metrics: { host: ep.listenHost, port: metricsPort },
      workers: plan.workers,
      log: { level: plan.logLevel },
      // The members it forwards to and takes packets from: every mix and gateway (issue 14 #1).
      network: { topologyFile: rel(p.topology) },
      ...(plan.emulation ? { links: { emulation: plan.emulation } } : {}),
      ...(plan.trace ? { trace: { dir: rel(plan.trace), topologyFile: rel(p.topology) } } : {}),
      ...(role === 'mix'
        ? {
            layer,
            ...(plan.mixCoverHz > 0
              ? { cover: { rateHz: plan.mixCoverHz, meanDelayMs: plan.mu, topologyFile: rel(p.topology) } }
              : {}),
          }
        : { websocket: { host: ep.listenHost, port: websocketPort } }),
    };
    writeFileSync(p.config(id), `${JSON.stringify(config, null, 2)}\n`);
    const address = `${ep.host}:${port}`;
    const entry = { id, address, sphinxKey: hex(pub.sphinxPublicKey), identityKey: hex(pub.identityPublicKey) };
    processes.push({
      id,
      role,
      ...(layer ? { layer } : {}),
      address,
      metricsUrl: `http://${ep.host}:${metricsPort}`,
      ...(websocketPort ? { url: `ws://${ep.host}:${websocketPort}` } : {}),
      configPath: p.config(id),
      logPath: p.log(id),
    });
    return { entry, websocketPort };
  };

  for (let l = 1; l <= plan.layers; l++) {
    const layer = [];
    for (let n = 1; n <= plan.nodesPerLayer; n++) layer.push((await relay(`mix-${l}-${n}`, 'mix', l)).entry);
    topology.layers.push(layer);
  }
  for (let g = 1; g <= plan.gateways; g++) {
    const { entry, websocketPort } = await relay(`gateway-${g}`, 'gateway');
    topology.gateways.push({ ...entry, clientUrl: `ws://${entry.address.replace(/:\d+$/, '')}:${websocketPort}` });
  }

  let chainUrl: string | undefined;
  let chainPort: number | undefined;
  let chainHost: string | undefined;
  let serviceProvider: TestnetState['serviceProvider'];
  if (plan.chain !== 'none') {
    if (plan.chain === 'hardhat') {
      const ep = await allocate('chain', 'chain');
      chainPort = ep.port;
      chainHost = ep.listenHost;
      chainUrl = `http://${ep.host}:${chainPort}`;
      processes.push({ id: 'chain', role: 'chain', metricsUrl: chainUrl, url: chainUrl, logPath: p.log('chain') });
    } else chainUrl = plan.chain;
    const id = 'service-provider';
    const keys = {
      sphinxPrivateKeyFile: join(p.keys(id), 'unused-sphinx.key'),
      identityPrivateKeyFile: join(p.keys(id), 'identity.key'),
    };
    const pub = generateNodeKeys(keys);
    const ep = await allocate(id, 'service-provider');
    const gateway = topology.gateways[0]?.id as string;
    const config = {
      role: 'service-provider',
      id,
      topology: rel(p.topology),
      gateway,
      identityKeyFile: rel(keys.identityPrivateKeyFile),
      upstreams: { chain: chainUrl },
      metrics: { host: ep.listenHost, port: ep.metricsPort },
      traffic: { mu: plan.mu },
      ...(plan.trace ? { trace: { dir: rel(plan.trace) } } : {}),
      log: { level: plan.logLevel },
    };
    writeFileSync(p.config(id), `${JSON.stringify(config, null, 2)}\n`);
    const address = hex(pub.identityPublicKey);
    topology.serviceProviders.push({ id, address, gateway });
    serviceProvider = { id, address };
    processes.push({
      id,
      role: 'service-provider',
      metricsUrl: `http://${ep.host}:${ep.metricsPort}`,
      configPath: p.config(id),
      logPath: p.log(id),
    });
  }
  writeFileSync(p.topology, `${JSON.stringify(topology, null, 2)}\n`);

  const state: TestnetState = {
    version: 1,
    runtime: 'process',
    createdAt: new Date().toISOString(),
    layers: plan.layers,
    nodesPerLayer: plan.nodesPerLayer,
    mu: plan.mu,
    topologyPath: p.topology,
    ...(chainUrl ? { chainUrl } : {}),
    ...(serviceProvider ? { serviceProvider } : {}),
    ...(plan.trace ? { trace: plan.trace } : {}),
    processes,
  };
  return { state, topology, ...(chainPort ? { chainPort } : {}), ...(chainHost ? { chainHost } : {}) };
}
