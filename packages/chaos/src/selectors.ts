/**
 * Node selectors (scenario-schema.ts SELECTOR) resolved against the network of the moment: the
 * directory's current document for roles (`mix of layer 2` is whoever serves layer 2 now), the
 * state folder for ids, the clients for `gateway of sender|receiver`, earlier steps for `@name`.
 */
import type { TopologyDocument } from '@mixnet/sphinx/wire';
import type { TestnetState } from '@mixnet/testnet';

export interface SelectorContext {
  state: TestnetState;
  /** The directory's current document (undefined without a directory). */
  document: TopologyDocument | undefined;
  senderGateway?: string;
  receiverGateway?: string;
  /** Nodes named by earlier steps' `as`. */
  names: ReadonlyMap<string, readonly string[]>;
}

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

const layerOf = (ctx: SelectorContext, n: number): string[] => {
  const fromDoc = ctx.document?.layers[n - 1]?.map((m) => m.id);
  if (fromDoc) return fromDoc;
  return ctx.state.processes.filter((p) => p.role === 'mix' && p.layer === n).map((p) => p.id);
};

export function resolveOne(sel: string, ctx: SelectorContext): string[] {
  if (sel.startsWith('@')) {
    const named = ctx.names.get(sel.slice(1));
    if (!named) throw new SelectorError(`"${sel}" names no earlier step`);
    return [...named];
  }
  const layer = /^(mix|mixes) of layer (\d+)$/.exec(sel);
  if (layer) {
    const ids = layerOf(ctx, Number(layer[2]));
    if (ids.length === 0) throw new SelectorError(`no active mix in layer ${layer[2]}`);
    // One mix: the layer's first, so a run is repeatable given the same document.
    return layer[1] === 'mix' ? ids.slice(0, 1) : ids;
  }
  const byRole = (role: string) => ctx.state.processes.filter((p) => p.role === role).map((p) => p.id);
  if (sel === 'all mixes') return byRole('mix');
  if (sel === 'all gateways') return byRole('gateway');
  if (sel === 'all nodes') return [...byRole('mix'), ...byRole('gateway')];
  if (sel === 'gateway of sender' || sel === 'gateway of receiver') {
    const g = sel.endsWith('sender') ? ctx.senderGateway : ctx.receiverGateway;
    if (!g) throw new SelectorError(`"${sel}": no such client in this traffic`);
    return [g];
  }
  if (!ctx.state.processes.some((p) => p.id === sel))
    throw new SelectorError(`no node "${sel}"; known: ${ctx.state.processes.map((p) => p.id).join(', ')}`);
  return [sel];
}

/** Every node the selectors name, each once, in order. */
export function resolve(sels: readonly string[], ctx: SelectorContext): string[] {
  return [...new Set(sels.flatMap((s) => resolveOne(s, ctx)))];
}
