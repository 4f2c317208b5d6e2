/**
 * `mixnet testnet up|down|status`: bring a whole network up from one call, and manage it later
 * from any shell through its state folder.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@mixnet/client';
import { chainReady, startHardhat } from './chain.js';
import { clientNetwork } from './client-network.js';
import {
  checkDirectoryKey,
  type DirectoryNode,
  type DirectoryStatus,
  fetchNodes,
  fetchStatus,
  unfilled,
  waitForDocument,
} from './directory-api.js';
import { containerRunning } from './docker-inspect.js';
import { checkPlan, generateTestnet, type TestnetPlan } from './generate.js';
import { type Health, healthOf, waitHealthy } from './health.js';
import { type ProcessEntry, paths, readState, type TestnetState, writeState } from './layout.js';
import { type NodesPerProcess, packRelays, resolveNodesPerProcess } from './packing.js';
import { processStart } from './proc-start.js';
import { isOurs, type StartedProcess, startRole, stopProcess } from './process-runtime.js';
import { type TraceMetaOptions, writeTraceMeta } from './trace-meta.js';

export interface UpOptions extends Partial<TestnetPlan> {
  /** The state folder (absolute). */
  dir: string;
  onProgress?: (message: string) => void;
  /** Per-process start-up timeout. */
  timeoutMs?: number;
  /** Skip the smoke message through every layer. */
  skipSmoke?: boolean;
  /** Alias of `nodesPerLayer`: active mixes per layer. */
  activePerLayer?: number;
  /** How long to wait for the directory's first full document (default 3 epochs + 30 s). */
  readyTimeoutMs?: number;
  /**
   * Relays per process in the process runtime (packing.ts): `auto` (default) runs one per process
   * up to 20 relays and packs at most 40 per node host above; 1 never packs.
   */
  nodesPerProcess?: NodesPerProcess;
}

export class TestnetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TestnetError';
  }
}

export const DEFAULT_PLAN: TestnetPlan = {
  layers: 3,
  nodesPerLayer: 1,
  standby: 0,
  gateways: 1,
  standbyGateways: 0,
  directory: true,
  epochMs: 20_000,
  mu: 15,
  chain: 'hardhat',
  host: '127.0.0.1',
  mixCoverHz: 0,
  workers: 1,
  logLevel: 'info',
};

/** Processes of a state that still run (as the processes it started, not ones that reused a pid). */
export function liveProcesses(state: TestnetState): ProcessEntry[] {
  return state.processes.filter((p) => isOurs(p));
}

function logTail(path: string, lines = 15): string {
  if (!existsSync(path)) return '';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Either runtime's `up` refuses a state folder whose testnet (processes or containers) still runs. */
export function refuseIfRunning(dir: string): void {
  const existing = readState(dir);
  if (!existing) return;
  // Its pods run in a cluster: only `down` (through the API) knows whether they are gone.
  if (existing.runtime === 'kubernetes')
    throw new TestnetError(
      `${dir} holds a kubernetes testnet (namespace ${existing.kubernetes?.namespace}); use \`mixnet testnet down\` first`,
    );
  const live =
    existing.runtime === 'docker'
      ? existing.processes.filter((p) => p.container && containerRunning(p.container))
      : liveProcesses(existing);
  if (live.length > 0)
    throw new TestnetError(
      `a testnet is already running in ${dir} (${live.length} processes up); use \`mixnet testnet status\` or \`mixnet testnet down\` first`,
    );
}

export async function upTestnet(opts: UpOptions): Promise<TestnetState> {
  const started = performance.now();
  const progress = opts.onProgress ?? (() => {});
  refuseIfRunning(opts.dir);
  const plan: TestnetPlan = { ...DEFAULT_PLAN, ...stripUndefined(opts) };
  checkPlan(plan);
  progress(`generating keys, ports and configs for ${plan.layers} layers × ${plan.nodesPerLayer} in ${opts.dir}`);
  const { state, chainPort } = await generateTestnet(opts.dir, plan);
  state.cliPid = process.pid;
  state.cliStarted = processStart(process.pid);
  const relays = state.processes.filter((p) => p.role === 'mix' || p.role === 'gateway');
  const perProcess = resolveNodesPerProcess(opts.nodesPerProcess, relays.length);
  const hosts = packRelays(opts.dir, relays, perProcess, Math.max(1, plan.workers));
  if (hosts.length > 0) {
    state.hosts = hosts.map((h) => ({ id: h.id, configPath: h.configPath, logPath: h.logPath }));
    progress(`packing ${relays.length} relays into ${hosts.length} node hosts (at most ${perProcess} per process)`);
  }
  writeState(opts.dir, state);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  // One spawn per host, shared by the launches of its nodes.
  const hostStarts = new Map<string, StartedProcess>();
  const startHost = (id: string) => {
    let s = hostStarts.get(id);
    if (!s) {
      const h = hosts.find((x) => x.id === id) as (typeof hosts)[number];
      s = startRole('host', h.configPath, h.logPath);
      hostStarts.set(id, s);
    }
    return s;
  };

  const launch = async (p: ProcessEntry) => {
    const { pid, started } =
      p.role === 'chain'
        ? startHardhat(paths(opts.dir).chain, plan.host, chainPort as number, p.logPath)
        : p.host
          ? startHost(p.host)
          : startRole(p.role, p.configPath as string, p.logPath);
    p.pid = pid;
    if (started) p.started = started;
    writeState(opts.dir, state);
    try {
      // A host starts all its nodes at once: allow it time per node it holds.
      const wait = p.role === 'chain' ? 60_000 : p.host ? timeoutMs + 1_000 * perProcess : timeoutMs;
      await waitHealthy(p, wait, () => isOurs(p));
    } catch (err) {
      const tail = logTail(p.logPath);
      throw new TestnetError(`${(err as Error).message}${tail ? `\n--- ${p.id} log ---\n${tail}` : ''}`);
    }
    progress(`${p.id} is up`);
  };

  return startInOrder(opts, state, started, launch, () => downTestnet(opts.dir));
}

/**
 * What both runtimes do once configs exist: the directory first (everyone else registers with it),
 * then relays and chain at once, then the service provider (it needs its gateway and the chain);
 * with a directory, wait for a document whose every layer is filled and that lists the service
 * provider; then the smoke check. On any failure, tear down.
 */
export async function startInOrder(
  opts: UpOptions,
  state: TestnetState,
  started: number,
  launch: (p: ProcessEntry) => Promise<void>,
  down: () => Promise<unknown>,
): Promise<TestnetState> {
  const progress = opts.onProgress ?? (() => {});
  try {
    // The chain needs nobody and is the slowest to boot: it starts at once, beside the directory, so
    // the service provider can register before the directory's first epoch.
    const chain = Promise.all(state.processes.filter((p) => p.role === 'chain').map(launch));
    chain.catch(() => {});
    const directory = state.processes.find((p) => p.role === 'directory');
    if (directory) {
      await launch(directory);
      if (state.directory) await checkDirectoryKey(state.directory);
    }
    await Promise.all([chain, ...state.processes.filter((p) => p.role === 'mix' || p.role === 'gateway').map(launch)]);
    const sp = state.processes.find((p) => p.role === 'service-provider');
    // The network requester needs only its gateway: it starts beside the service provider.
    const exits = Promise.all(state.processes.filter((p) => p.role === 'network-requester').map(launch));
    exits.catch(() => {});
    if (sp) {
      if (state.chainUrl && !(await chainReady(state.chainUrl)))
        throw new TestnetError(`the chain at ${state.chainUrl} does not answer eth_chainId`);
      await launch(sp);
    }
    await exits;
    if (state.directory) await waitForActiveSet(opts, state);
    if (!opts.skipSmoke) {
      progress('smoke check: a message through every layer and back');
      await smokeCheck(state);
      progress('smoke check passed');
    }
  } catch (err) {
    await down().catch(() => {});
    throw err;
  }
  state.readyMs = Math.round(performance.now() - started);
  writeState(opts.dir, state);
  return state;
}

/**
 * Waits until the directory's document fills every layer, has its active gateways and lists the
 * service provider, then writes its body to topology.json for offline readers.
 */
async function waitForActiveSet(opts: UpOptions, state: TestnetState): Promise<void> {
  const progress = opts.onProgress ?? (() => {});
  const directory = state.directory as NonNullable<TestnetState['directory']>;
  const epochMs = state.epochMs ?? DEFAULT_PLAN.epochMs;
  progress('waiting for the directory to publish an epoch with every layer filled');
  const target = {
    layers: state.layers,
    // Auto-sizing starts at its least width (no traffic measured yet).
    activePerLayer: state.activeSet ? Math.min(state.activeSet.minWidth, state.nodesPerLayer) : state.nodesPerLayer,
    activeGateways: state.activeGateways ?? 1,
    serviceProviders: [state.serviceProvider?.id, state.networkRequester?.id].filter((x): x is string => !!x),
  };
  let doc: Awaited<ReturnType<typeof waitForDocument>>;
  try {
    doc = await waitForDocument(directory, (d) => unfilled(d, target), opts.readyTimeoutMs ?? 3 * epochMs + 30_000);
  } catch (err) {
    const tail = logTail(paths(opts.dir).log('directory'));
    throw new TestnetError(`${(err as Error).message}${tail ? `\n--- directory log ---\n${tail}` : ''}`);
  }
  writeFileSync(state.topologyPath, `${JSON.stringify(doc.document, null, 2)}\n`);
  const width = Math.min(...doc.document.layers.map((l) => l.length));
  progress(
    `epoch ${doc.document.epoch} published: ${state.layers} layers × ${width} active${doc.document.muMs !== undefined ? `, μ ${doc.document.muMs} ms` : ''}`,
  );
}

export function stripUndefined(o: object): Partial<TestnetPlan> {
  const keys: (keyof TestnetPlan)[] = [
    'trace',
    'layers',
    'nodesPerLayer',
    'standby',
    'gateways',
    'standbyGateways',
    'directory',
    'epochMs',
    'mu',
    'chain',
    'host',
    'mixCoverHz',
    'workers',
    'logLevel',
    'emulation',
    'latency',
    'activeSet',
  ];
  const out: Record<string, unknown> = {};
  const alias = (o as { activePerLayer?: number }).activePerLayer;
  if (alias !== undefined) out.nodesPerLayer = alias;
  for (const k of keys) if ((o as Record<string, unknown>)[k] !== undefined) out[k] = (o as Record<string, unknown>)[k];
  return out as Partial<TestnetPlan>;
}

/** A message to ourselves through one mix per layer and back, acknowledged: the network relays. */
export async function smokeCheck(state: TestnetState, timeoutMs = 20_000): Promise<{ ms: number }> {
  const started = performance.now();
  const client = await createClient({
    ...clientNetwork(state),
    traffic: { cover: false, sendGapMs: 0, mu: Math.min(state.mu, 5) },
  });
  try {
    const got = new Promise<void>((resolve) => client.onMessage(() => resolve()));
    const sent = client.send(client.address, new TextEncoder().encode('smoke'));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TestnetError(`smoke message not back within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([Promise.all([sent, got]), timeout]).finally(() => clearTimeout(timer));
  } finally {
    await client.close({ flushMs: 0 });
  }
  return { ms: performance.now() - started };
}

export interface StatusEntry extends ProcessEntry {
  health: Health;
  /** The directory's view (GET /v1/nodes): active, standby, down or expired; absent if unregistered. */
  state?: DirectoryNode['state'];
  score?: number;
  /** The layer of this epoch's document (the generated one is `layer`). */
  liveLayer?: number;
}

export interface TestnetStatus {
  state: TestnetState;
  processes: StatusEntry[];
  /** The directory's epoch (GET /v1/status), when it answers. */
  epoch?: DirectoryStatus;
  /** Why the directory's view is missing. */
  directoryError?: string;
}

export async function testnetStatus(dir: string): Promise<TestnetStatus | undefined> {
  const state = readState(dir);
  if (!state) return undefined;
  const processes: StatusEntry[] = await Promise.all(
    state.processes.map(async (p) => ({ ...p, health: await healthOf(p) })),
  );
  return withDirectoryView(state, processes);
}

/** Adds the directory's view (state, score, live layer, epoch) to each runtime's status entries. */
export async function withDirectoryView(state: TestnetState, processes: StatusEntry[]): Promise<TestnetStatus> {
  if (!state.directory) return { state, processes };
  try {
    const [nodes, epoch] = await Promise.all([fetchNodes(state.directory), fetchStatus(state.directory)]);
    for (const p of processes) {
      const n = nodes.find((x) => x.id === p.id);
      if (!n) continue;
      p.state = n.state;
      if (n.score !== null) p.score = n.score;
      if (n.layer !== undefined) p.liveLayer = n.layer;
    }
    return { state, processes, epoch };
  } catch (err) {
    return { state, processes, directoryError: (err as Error).message };
  }
}

/** Stops every process of the state folder (also those of a crashed CLI) and forgets the state. */
export interface DownOptions {
  /** Traced runs: the clients' traffic, for the meta header written at `down` (trace-meta.ts). */
  traceTraffic?: TraceMetaOptions['traffic'];
}

/** Every mix by its generated layer, and every gateway. */
function traceNodes(state: TestnetState): { layers: string[][]; gateways: string[] } {
  const layers: string[][] = Array.from({ length: state.layers }, () => []);
  for (const p of state.processes) if (p.role === 'mix' && p.layer) layers[p.layer - 1]?.push(p.id);
  return { layers, gateways: state.processes.filter((p) => p.role === 'gateway').map((p) => p.id) };
}

export async function downTestnet(dir: string, opts: DownOptions = {}): Promise<{ stopped: string[] }> {
  const state = readState(dir);
  if (!state) return { stopped: [] };
  const stopped: string[] = [];
  // Only the CLI that brought it up, not whoever got its pid after a crash or reboot.
  if (state.cliPid && state.cliPid !== process.pid && isOurs({ pid: state.cliPid, started: state.cliStarted })) {
    try {
      process.kill(state.cliPid, 'SIGTERM');
    } catch {
      // gone meanwhile
    }
  }
  // The service provider first, then relays, then the chain: nothing is left talking to a dead peer.
  const order: Record<string, number> = {
    'service-provider': 0,
    'network-requester': 0,
    gateway: 1,
    mix: 1,
    chain: 2,
    directory: 2,
  };
  const groups = [0, 1, 2].map((g) => state.processes.filter((p) => order[p.role] === g));
  for (const group of groups) {
    await Promise.all(
      group.map(async (p) => {
        if (isOurs(p)) stopped.push(p.id);
        await stopProcess(p);
      }),
    );
  }
  if (state.trace)
    await writeTraceMeta(state.trace, {
      mu: state.mu,
      topologyPath: state.topologyPath,
      // A directory's active set changes each epoch: every node, and the epochs it published.
      ...(state.directory
        ? {
            nodes: traceNodes(state),
            epochsDir: join(paths(dir).data('directory'), 'epochs'),
          }
        : {}),
      ...(opts.traceTraffic ? { traffic: opts.traceTraffic } : {}),
    });
  rmSync(paths(dir).state, { force: true });
  return { stopped };
}
