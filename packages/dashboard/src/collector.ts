/**
 * The dashboard's view of a running testnet, from its state folder alone: state.json names the
 * directory (URL and key), every relay's observability URL (in docker, the container's IP on the
 * testnet's network, which the host reaches) and the topology file. Once a second it asks the
 * directory for the epoch and each node's state and score, and each relay for /metrics and
 * /admin/faults, and turns counters into rates.
 */
import { readFileSync } from 'node:fs';
import {
  type DirectoryNode,
  type DirectoryStatus,
  fetchNodes,
  fetchStatus,
  type ProcessEntry,
  readState,
  type TestnetState,
} from '@mixnet/testnet';
import { type NodeCounters, type NodeRates, nodeCounters, nodeRates, type Scrape } from './node-figures.js';
import { parsePrometheus } from './prometheus.js';

/** A fault rule as a node's GET /admin/faults lists it (round2 contract); shown, not interpreted. */
export type FaultRule = Record<string, unknown> & { id?: string; expiresAt?: number };

export interface NodeView {
  id: string;
  role: 'mix' | 'gateway';
  /** The layer this epoch's document gives it, else the generated one; absent for gateways and unplaced standby. */
  layer?: number;
  /** active / standby as the directory says; down when its metrics do not answer (or the directory says so). */
  status: 'active' | 'standby' | 'down' | 'up';
  /** The directory's own word (active, standby, down, expired), when it answers. */
  directoryState?: string;
  score: number | null;
  counters: NodeCounters | null;
  rates: NodeRates;
  /** Faults in force on this node; undefined when the node has no fault endpoint. */
  faults?: FaultRule[];
}

export interface EpochView {
  epoch: number | null;
  nextEpochAt: number | null;
  /** ms left in this epoch at the snapshot's time. */
  countdownMs: number | null;
  epochMs: number | null;
}

export interface Snapshot {
  at: number;
  stateDir: string;
  runtime?: string;
  layers: number;
  mu?: number;
  traced: boolean;
  epoch: EpochView | null;
  directoryError?: string;
  nodes: NodeView[];
  /** Why there is nothing to show (no state folder). */
  error?: string;
}

export interface CollectorOptions {
  stateDir: string;
  /** Per-request timeout; below the poll interval so one slow node does not stall the next tick. */
  timeoutMs?: number;
}

export interface Collector {
  /** One poll of everything; rates are against the previous call's scrape. */
  collect(): Promise<Snapshot>;
}

const relay = (p: ProcessEntry): p is ProcessEntry & { role: 'mix' | 'gateway' } =>
  p.role === 'mix' || p.role === 'gateway';

async function getText(
  url: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, text: await res.text() };
}

/**
 * The nodes' admin token, when the testnet has one (the fault API answers only loopback peers
 * without it: a container's peer is not loopback). Sent, never logged.
 */
function adminAuth(state: TestnetState): Record<string, string> {
  const file = (state as TestnetState & { nodeAdminTokenFile?: string }).nodeAdminTokenFile;
  if (!file) return {};
  try {
    return { authorization: `Bearer ${readFileSync(file, 'utf8').trim()}` };
  } catch {
    return {};
  }
}

export function createCollector(o: CollectorOptions): Collector {
  const timeoutMs = o.timeoutMs ?? 800;
  const previous = new Map<string, Scrape>();
  /** Nodes whose fault endpoint answered 404 (older nodes): asked again only now and then. */
  const noFaults = new Map<string, number>();

  async function scrape(p: ProcessEntry): Promise<Scrape | null> {
    try {
      const { status, text } = await getText(`${p.metricsUrl}/metrics`, timeoutMs);
      if (status !== 200) return null;
      return { at: Date.now(), counters: nodeCounters(parsePrometheus(text).samples) };
    } catch {
      return null;
    }
  }

  async function faults(p: ProcessEntry, auth: Record<string, string>): Promise<FaultRule[] | undefined> {
    const skipUntil = noFaults.get(p.id);
    if (skipUntil !== undefined && Date.now() < skipUntil) return undefined;
    try {
      const { status, text } = await getText(`${p.metricsUrl}/admin/faults`, timeoutMs, auth);
      if (status !== 200) {
        noFaults.set(p.id, Date.now() + 30_000);
        return undefined;
      }
      const body = JSON.parse(text) as { rules?: unknown };
      return Array.isArray(body.rules) ? (body.rules as FaultRule[]) : undefined;
    } catch {
      return undefined;
    }
  }

  async function directoryView(
    state: TestnetState,
  ): Promise<{ nodes?: DirectoryNode[]; status?: DirectoryStatus; error?: string }> {
    if (!state.directory) return {};
    try {
      const [nodes, status] = await Promise.all([
        fetchNodes(state.directory, timeoutMs),
        fetchStatus(state.directory, timeoutMs),
      ]);
      return { nodes, status };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  return {
    async collect() {
      const at = Date.now();
      const state = readState(o.stateDir);
      if (!state)
        return {
          at,
          stateDir: o.stateDir,
          layers: 0,
          traced: false,
          epoch: null,
          nodes: [],
          error: `no testnet in ${o.stateDir}`,
        };
      const relays = state.processes.filter(relay);
      const auth = adminAuth(state);
      const [dir, scrapes, faultSets] = await Promise.all([
        directoryView(state),
        Promise.all(relays.map(scrape)),
        Promise.all(relays.map((p) => faults(p, auth))),
      ]);
      const nodes: NodeView[] = relays.map((p, i) => {
        const s = scrapes[i] ?? null;
        const d = dir.nodes?.find((n) => n.id === p.id);
        const rates = s ? nodeRates(previous.get(p.id), s) : { inPerSec: 0, outPerSec: 0, dropsPerSec: 0 };
        if (s) previous.set(p.id, s);
        else previous.delete(p.id);
        const dirState = d?.state;
        const status: NodeView['status'] =
          !s || dirState === 'down' || dirState === 'expired'
            ? 'down'
            : dirState === 'active' || dirState === 'standby'
              ? dirState
              : state.directory
                ? 'standby'
                : 'up';
        const layer = p.role === 'mix' ? (d?.layer ?? p.layer) : undefined;
        const f = faultSets[i];
        return {
          id: p.id,
          role: p.role,
          ...(layer !== undefined ? { layer } : {}),
          status,
          ...(dirState !== undefined ? { directoryState: dirState } : {}),
          score: d?.score ?? null,
          counters: s?.counters ?? null,
          rates,
          ...(f !== undefined ? { faults: f } : {}),
        };
      });
      const epoch: EpochView | null = dir.status
        ? {
            epoch: dir.status.epoch,
            nextEpochAt: dir.status.nextEpochAt,
            countdownMs: dir.status.nextEpochAt === null ? null : Math.max(0, dir.status.nextEpochAt - at),
            epochMs: state.epochMs ?? null,
          }
        : null;
      return {
        at,
        stateDir: o.stateDir,
        runtime: state.runtime,
        layers: state.layers,
        mu: state.mu,
        traced: state.trace !== undefined,
        epoch,
        ...(dir.error ? { directoryError: dir.error } : {}),
        nodes,
      };
    },
  };
}
