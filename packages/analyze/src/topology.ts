/** The network from the meta header (§1): node roles, layers, and the §3 warm-up and drain windows. */
import { type MetaHeader, TraceError, toNs } from './trace-format.js';

export const NODE_CLIENT = 0;
export const NODE_GATEWAY = 1;
export const NODE_MIX = 2;
export type NodeType = typeof NODE_CLIENT | typeof NODE_GATEWAY | typeof NODE_MIX;

export interface NodeInfo {
  readonly name: string;
  readonly type: NodeType;
  /** Index among the clients, the gateways, or all mixes (layer by layer). */
  readonly index: number;
  /** 1..L for mixes, 0 otherwise. */
  readonly layer: number;
}

export class Topology {
  readonly clients: readonly string[];
  readonly gateways: readonly string[];
  readonly layers: readonly (readonly string[])[];
  readonly mixes: readonly NodeInfo[];
  private readonly byName = new Map<string, NodeInfo>();

  constructor(meta: MetaHeader) {
    this.clients = meta.clients;
    this.gateways = meta.gateways;
    this.layers = meta.layers;
    meta.clients.forEach((name, index) => {
      this.byName.set(name, { name, type: NODE_CLIENT, index, layer: 0 });
    });
    meta.gateways.forEach((name, index) => {
      this.byName.set(name, { name, type: NODE_GATEWAY, index, layer: 0 });
    });
    const mixes: NodeInfo[] = [];
    meta.layers.forEach((names, l) => {
      for (const name of names) {
        const info: NodeInfo = { name, type: NODE_MIX, index: mixes.length, layer: l + 1 };
        mixes.push(info);
        this.byName.set(name, info);
      }
    });
    this.mixes = mixes;
  }

  /** Number of layers L. */
  get depth(): number {
    return this.layers.length;
  }

  /** Widest layer W. */
  get width(): number {
    return Math.max(...this.layers.map((l) => l.length));
  }

  get(name: string): NodeInfo {
    const info = this.byName.get(name);
    if (!info) throw new TraceError(`node "${name}" is not in the meta header`);
    return info;
  }
}

/** §3 windows in ns: T_w = 0.5 s + 10·L·(m+c), T_d = 0.5 s + 20·L·(m+c); overrides in seconds. */
export function windows(meta: MetaHeader, warmup?: number, drain?: number): { warmupNs: number; drainNs: number } {
  const hop = meta.layers.length * (meta.mean_delay + meta.proc);
  return {
    warmupNs: toNs(warmup ?? 0.5 + 10 * hop),
    drainNs: toNs(drain ?? 0.5 + 20 * hop),
  };
}
