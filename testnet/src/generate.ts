/**
 * Generates a testnet into its state folder: keys (0600), ports, one config per process, and the
 * topology clients read. Pure file work; starting the processes is the runtime's job.
 *
 * With a directory (the default) its config comes first: every node, the service provider and the
 * state learn its URL and public key, and its admission list holds every generated identity key.
 * Mixes are `mix-<layer>-<n>`: the first `nodesPerLayer` of each layer, then the standby ones
 * round-robin over the layers. The layer is only the generated layout: the directory reshuffles the
 * active mixes into layers every epoch.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateNodeKeys } from '@mixnet/node';
import type { Topology } from '@mixnet/sphinx/wire';
import { type AutoActiveSet, announceMsFor, directoryConfig, writeDirectorySecrets } from './directory-files.js';
import { assignRegions, geoRules, type LatencyModel } from './geo.js';
import { type ProcessEntry, paths, type TestnetState } from './layout.js';
import { freePort } from './ports.js';
import { writeNetworkRequester } from './requester-files.js';

export interface TestnetPlan {
  layers: number;
  /** Active mixes per layer (`--active-per-layer`, alias `--nodes-per-layer`). */
  nodesPerLayer: number;
  /** Standby mixes: they run and are monitored but carry no client traffic until promoted. */
  standby: number;
  /** Gateways, all running. */
  gateways: number;
  /** How many of them are standby (the directory's activeGateways = gateways − this). */
  standbyGateways: number;
  /** Run a directory (epochs, active set); false: a static testnet from topology.json alone. */
  directory: boolean;
  /** The directory's epoch length in ms. */
  epochMs: number;
  /** Mean per-hop delay in ms, for the clients (and the mixes' loop cover). */
  mu: number;
  /**
   * `--active auto` (docs/directory.md §7): the directory sizes the active set and publishes μ each
   * epoch; the service provider and requester then take μ from its document (`mu` is for the mixes'
   * loop cover and the fallback only). Every generated mix is a candidate.
   */
  activeSet?: AutoActiveSet;
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
  /** 'geo': nodes in regions, inter-region delays on every link (geo.ts); default 'none'. */
  latency?: LatencyModel;
}

/** The mix and gateway ids a plan generates, in generation order. */
export function relayIds(plan: TestnetPlan): string[] {
  const ids: string[] = [];
  for (let l = 1; l <= plan.layers; l++) for (let n = 1; n <= plan.nodesPerLayer; n++) ids.push(`mix-${l}-${n}`);
  for (let s = 0; s < plan.standby; s++)
    ids.push(`mix-${(s % plan.layers) + 1}-${plan.nodesPerLayer + Math.floor(s / plan.layers) + 1}`);
  for (let g = 1; g <= plan.gateways; g++) ids.push(`gateway-${g}`);
  return ids;
}

/** Where one process listens (`listenHost`) and is reached (`host`): loopback ports, or a container's IP. */
export interface Endpoint {
  host: string;
  listenHost: string;
  port: number;
  metricsPort: number;
  websocketPort?: number;
}

export type Allocate = (
  id: string,
  role: 'mix' | 'gateway' | 'service-provider' | 'network-requester' | 'chain' | 'directory',
) => Promise<Endpoint>;

/** A relay's inbound cap per IP when every relay shares one address: its whole cap (config default). */
export const SHARED_HOST_CONNECTIONS_PER_IP = 1024;
/** Inbound settings of relays that share one address (the process runtime). */
export const SHARED_HOST_INBOUND = { maxConnectionsPerIp: SHARED_HOST_CONNECTIONS_PER_IP, idleTimeoutMs: 3_600_000 };

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
  int('active-per-layer', p.nodesPerLayer, 1, 64);
  int('standby', p.standby, 0, 256);
  int('gateways', p.gateways, 1, 128);
  int('standby-gateways', p.standbyGateways, 0, p.gateways - 1);
  if (!p.directory && (p.standby > 0 || p.standbyGateways > 0))
    throw new PlanError('--standby and --standby-gateways need the directory (drop --no-directory)');
  if (!Number.isInteger(p.epochMs) || p.epochMs < 1_000 || p.epochMs > 3_600_000)
    throw new PlanError(`--epoch must be from 1 s to 1 h, got ${p.epochMs} ms`);
  if (!Number.isFinite(p.mu) || p.mu < 0) throw new PlanError(`--mu must be ≥ 0 ms, got ${p.mu}`);
  if (p.activeSet) {
    const a = p.activeSet;
    if (!p.directory) throw new PlanError('--active auto needs the directory (drop --no-directory)');
    if (!(a.anonymityTargetBits > 0 && a.anonymityTargetBits <= 32))
      throw new PlanError(`--anonymity-target must be above 0 and at most 32 bits, got ${a.anonymityTargetBits}`);
    int('min-width', a.minWidth, 1, 16);
    int('max-width', a.maxWidth, a.minWidth, 16);
    if (!(a.mu.minMs >= 0 && a.mu.maxMs >= Math.max(0.1, a.mu.minMs) && a.mu.maxMs <= 10_000))
      throw new PlanError(`--mu-min/--mu-max must satisfy 0 ≤ min ≤ max ≤ 10 s, got ${a.mu.minMs}/${a.mu.maxMs} ms`);
  }
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
  const admission: string[] = [];
  // One admin token for the nodes' /admin/faults: the CLI's copy here, each node's in its key folder
  // (a container mounts only its own), all 0600.
  const adminToken = randomBytes(32).toString('hex');
  mkdirSync(join(dir, 'keys'), { recursive: true, mode: 0o700 });
  const adminTokenFile = join(dir, 'keys', 'admin.token');
  writeFileSync(adminTokenFile, `${adminToken}\n`, { mode: 0o600, flag: 'wx' });
  const regions = plan.latency === 'geo' ? assignRegions(relayIds(plan)) : undefined;

  // The directory first: everything else is configured with its URL and key.
  let directory: TestnetState['directory'];
  let writeDirectoryConfig = () => {};
  if (plan.directory) {
    const ep = await allocate('directory', 'directory');
    const secrets = writeDirectorySecrets(p.keys('directory'));
    const url = `http://${ep.host}:${ep.port}`;
    directory = { url, publicKey: secrets.publicKey, adminTokenFile: secrets.adminTokenFile };
    writeDirectoryConfig = () =>
      writeFileSync(
        p.config('directory'),
        `${JSON.stringify(
          directoryConfig({
            listen: { host: ep.listenHost, port: ep.port },
            identityKeyFile: rel(secrets.identityKeyFile),
            adminTokenFile: rel(secrets.adminTokenFile),
            dataDir: rel(p.data('directory')),
            epochMs: plan.epochMs,
            layers: plan.layers,
            activePerLayer: plan.nodesPerLayer,
            activeGateways: plan.gateways - plan.standbyGateways,
            admission,
            logLevel: plan.logLevel,
            ...(plan.activeSet ? { activeSet: plan.activeSet } : {}),
          }),
          null,
          2,
        )}\n`,
      );
    processes.push({
      id: 'directory',
      role: 'directory',
      metricsUrl: url,
      url,
      configPath: p.config('directory'),
      logPath: p.log('directory'),
    });
  }
  // With a directory, a Sphinx key lives keyRotationEpochs (3) epochs plus the grace (one epoch):
  // the replay filter of each key is sized for that, not for the static default of an hour.
  const nodeDirectory = directory
    ? {
        directory: { url: directory.url, publicKey: directory.publicKey, announceMs: announceMsFor(plan.epochMs) },
        replay: { keyLifetimeSec: Math.ceil((4 * plan.epochMs) / 1000) },
      }
    : {};

  const relay = async (id: string, role: 'mix' | 'gateway', layer?: number) => {
    const ep = await allocate(id, role);
    const { port, metricsPort, websocketPort } = ep;
    const keyDir = p.keys(id);
    const keys = {
      sphinxPrivateKeyFile: join(keyDir, 'sphinx.key'),
      identityPrivateKeyFile: join(keyDir, 'identity.key'),
    };
    const pub = generateNodeKeys(keys);
    const tokenFile = join(keyDir, 'admin.token');
    writeFileSync(tokenFile, `${adminToken}\n`, { mode: 0o600, flag: 'wx' });
    const faults = regions ? geoRules(id, regions) : [];
    const links = {
      ...(plan.emulation ? { emulation: plan.emulation } : {}),
      ...(faults.length > 0 ? { faults } : {}),
    };
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
      ...(Object.keys(links).length > 0 ? { links } : {}),
      admin: { tokenFile: rel(tokenFile) },
      // Every relay at the testnet's one address (the process runtime): the per-IP cap would refuse
      // the 129th peer, whose link then reconnects for ever (issue 16: at 170 relays, gateways
      // refused mixes and links churned through a third of the idle CPU). One IP: one cap. And a
      // link only the monitor's probes use (any mix follows any other in a probe) waits minutes
      // between packets: closed after 5 idle minutes, 170 relays reopened some 35 a second.
      ...(ep.host === plan.host ? { inbound: SHARED_HOST_INBOUND } : {}),
      ...nodeDirectory,
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
    admission.push(entry.identityKey);
    processes.push({
      id,
      role,
      ...(layer ? { layer } : {}),
      ...(regions?.has(id) ? { region: regions.get(id) } : {}),
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
  for (let s = 0; s < plan.standby; s++) {
    const l = (s % plan.layers) + 1;
    const n = plan.nodesPerLayer + Math.floor(s / plan.layers) + 1;
    topology.layers[l - 1]?.push((await relay(`mix-${l}-${n}`, 'mix', l)).entry);
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
      // Re-announced at the directory's period (it expires a registration not renewed in 3 of them).
      ...(directory
        ? {
            directory: {
              url: directory.url,
              publicKey: directory.publicKey,
              announceMs: announceMsFor(plan.epochMs),
            },
          }
        : {}),
      metrics: { host: ep.listenHost, port: ep.metricsPort },
      ...(plan.activeSet ? {} : { traffic: { mu: plan.mu } }),
      ...(plan.trace ? { trace: { dir: rel(plan.trace) } } : {}),
      log: { level: plan.logLevel },
    };
    writeFileSync(p.config(id), `${JSON.stringify(config, null, 2)}\n`);
    const address = hex(pub.identityPublicKey);
    admission.push(address);
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
  // The network requester (issue 20): SOCKS streams to what its exit policy allows.
  const nr = await writeNetworkRequester({
    p,
    rel,
    allocate,
    host: plan.host,
    gateway: topology.gateways[0]?.id as string,
    topologyPath: p.topology,
    directory,
    chainUrl,
    ...(plan.activeSet ? {} : { mu: plan.mu }),
    epochMs: plan.epochMs,
    logLevel: plan.logLevel,
  });
  admission.push(nr.address);
  topology.serviceProviders.push({ id: nr.entry.id, address: nr.address, gateway: nr.gateway });
  processes.push(nr.entry);
  const networkRequester = { id: nr.entry.id, address: nr.address };
  // The generated layout (every mix and gateway, standby ones too). With a directory, `up`
  // replaces it by the first epoch's document body once that is published.
  writeFileSync(p.topology, `${JSON.stringify(topology, null, 2)}\n`);
  writeDirectoryConfig();

  const state: TestnetState = {
    version: 1,
    runtime: 'process',
    createdAt: new Date().toISOString(),
    layers: plan.layers,
    nodesPerLayer: plan.nodesPerLayer,
    ...(directory
      ? {
          directory,
          standby: plan.standby,
          activeGateways: plan.gateways - plan.standbyGateways,
          epochMs: plan.epochMs,
        }
      : {}),
    mu: plan.mu,
    ...(plan.activeSet ? { activeSet: plan.activeSet } : {}),
    topologyPath: p.topology,
    nodeAdminTokenFile: adminTokenFile,
    ...(plan.latency === 'geo' ? { latency: 'geo' as const } : {}),
    ...(chainUrl ? { chainUrl } : {}),
    ...(serviceProvider ? { serviceProvider } : {}),
    networkRequester,
    ...(plan.trace ? { trace: plan.trace } : {}),
    processes,
  };
  return { state, topology, ...(chainPort ? { chainPort } : {}), ...(chainHost ? { chainHost } : {}) };
}
