/**
 * The meta header of a traced testnet run (ANONYMITY.md §1), written into the trace folder as
 * `meta.jsonl` when the run ends: it needs the clients that took part, known only afterwards.
 * The processing constant c is the smallest hold a mix recorded (ground truth lines carry both ti
 * and tx), the public figure the adversary is assumed to know; gateways get one per direction.
 * With a directory the header also lists the epochs (from its stored documents: bounds, μ, active
 * layers), on the trace clock: the nodes' monotonic clock, which every process on this machine shares.
 */
import { createReadStream, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SignedDocument, Topology, TopologyDocument } from '@mixnet/sphinx/wire';

export interface TraceMetaOptions {
  /** Mean per-hop delay, ms. */
  mu: number;
  topologyPath: string;
  traffic?: { sendGapMs?: number; loopGapMs?: number; cover?: boolean; realPerSecond?: number };
  /** Every mix by its generated layer and every gateway, active or not (a directory's runs). */
  nodes?: { layers: string[][]; gateways: string[] };
  /** The directory's stored documents (`<dataDir>/epochs`): the header gets the run's epochs. */
  epochsDir?: string;
}

export interface TraceEpoch {
  epoch: number;
  from: number;
  until: number;
  mean_delay: number;
  layers: string[][];
}

/** Nanoseconds to add to a wall-clock time (ns since the Unix epoch) to get the trace clock. */
export function traceClockOffsetNs(): number {
  return Number(process.hrtime.bigint()) - Date.now() * 1e6;
}

/**
 * The epochs overlapping [tStart, tEnd] (trace seconds) from the stored signed documents. A
 * document's text is the signed one (the signature was checked when the directory made it, and
 * it is our own folder). μ defaults to `defaultMu` (seconds) for documents without one.
 */
export function readEpochs(
  dir: string,
  tStart: number,
  tEnd: number,
  defaultMu: number,
  offsetNs: number,
): TraceEpoch[] {
  if (!existsSync(dir)) return [];
  const toTrace = (ms: number) => (ms * 1e6 + offsetNs) / 1e9;
  const docs = readdirSync(dir)
    .filter((f) => /^\d+\.json$/.test(f))
    .map(
      (f) =>
        JSON.parse((JSON.parse(readFileSync(join(dir, f), 'utf8')) as SignedDocument).document) as TopologyDocument,
    )
    .sort((a, b) => a.epoch - b.epoch);
  const out: TraceEpoch[] = [];
  for (const d of docs) {
    const from = Math.max(toTrace(d.validFrom), out.at(-1)?.until ?? -Infinity);
    const until = toTrace(d.validUntil);
    if (until <= tStart || from >= tEnd || until <= from) continue;
    out.push({
      epoch: d.epoch,
      from,
      until,
      mean_delay: d.muMs !== undefined ? d.muMs / 1000 : defaultMu,
      layers: d.layers.map((l) => l.map((n) => n.id)),
    });
  }
  return out;
}

async function scan(file: string, visit: (o: Record<string, unknown>) => void): Promise<void> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line === '') continue;
    try {
      visit(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // the analyzer reports malformed lines with their place; here we only gather figures
    }
  }
}

export async function writeTraceMeta(dir: string, opts: TraceMetaOptions): Promise<string> {
  const topology = JSON.parse(readFileSync(opts.topologyPath, 'utf8')) as Topology;
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl') && f !== 'meta.jsonl');
  // Clients with a trace file, and those only a gateway saw (untraced ones, e.g. `up`'s smoke check).
  const clients = new Set(files.filter((f) => f.startsWith('c-')).map((f) => f.slice(0, -'.jsonl'.length)));
  const layers = opts.nodes?.layers ?? topology.layers.map((l) => l.map((n) => n.id));
  const gateways = opts.nodes?.gateways ?? topology.gateways.map((g) => g.id);
  const mixIds = new Set(layers.flat());
  const gatewayIds = new Set(gateways);
  let proc = Number.POSITIVE_INFINITY;
  // A gateway forwards a client's packet without Sphinx work (µs) and unwraps a mix's (about c):
  // each direction gets its own constant, else its departures look impossible to the analyzer.
  let procIn = Number.POSITIVE_INFINITY;
  let procOut = Number.POSITIVE_INFINITY;
  let reals = 0;
  let tStart = Number.POSITIVE_INFINITY;
  /** The first line of any node: the network traces from its start, before any traced client. */
  let tFirst = Number.POSITIVE_INFINITY;
  let tEnd = 0;
  for (const f of files) {
    const id = f.slice(0, -'.jsonl'.length);
    await scan(join(dir, f), (o) => {
      const ti = typeof o.ti === 'number' ? o.ti : undefined;
      const tx = typeof o.tx === 'number' ? o.tx : undefined;
      if (ti !== undefined && tx !== undefined) {
        if (mixIds.has(id)) proc = Math.min(proc, tx - ti);
        else if (gatewayIds.has(id)) {
          const fromClient = typeof o.pi === 'string' && o.pi.startsWith('c-');
          if (fromClient) procIn = Math.min(procIn, tx - ti);
          else procOut = Math.min(procOut, tx - ti);
        }
      }
      if (o.gt && tx !== undefined) tStart = Math.min(tStart, tx);
      tFirst = Math.min(tFirst, ti ?? tx ?? Number.POSITIVE_INFINITY);
      if ((o.gt as { k?: string } | undefined)?.k === 'real') reals++;
      for (const peer of [o.pi, o.nx]) if (typeof peer === 'string' && peer.startsWith('c-')) clients.add(peer);
      tEnd = Math.max(tEnd, tx ?? ti ?? 0);
    });
  }
  const t = opts.traffic ?? {};
  const cover = t.cover ?? true;
  // Unless the run says, λ_real per client is estimated from the emissions (a public rate, §2).
  const seconds = tEnd - tStart;
  const realPerSecond =
    t.realPerSecond ?? (clients.size > 0 && seconds > 0 && reals > 0 ? reals / clients.size / seconds : undefined);
  const epochs =
    opts.epochsDir && Number.isFinite(tFirst)
      ? readEpochs(opts.epochsDir, tFirst, tEnd, opts.mu / 1000, traceClockOffsetNs())
      : [];
  const meta = {
    type: 'meta',
    clients: [...clients].sort(),
    gateways,
    layers,
    // With epochs: the largest μ, so the whole run's §3 windows are safe (each epoch has its own).
    mean_delay: epochs.length > 0 ? Math.max(...epochs.map((e) => e.mean_delay)) : opts.mu / 1000,
    proc: Number.isFinite(proc) ? Math.max(0, proc) : 0,
    ...(Number.isFinite(tStart) ? { t_start: tStart } : {}),
    ...(tEnd > 0 ? { t_end: tEnd } : {}),
    params: {
      cover,
      scheme: cover ? 'buffered' : 'independent',
      rates: {
        ...(realPerSecond !== undefined ? { real: realPerSecond } : {}),
        payload: 1000 / (t.sendGapMs ?? 20),
        loop: cover ? 1000 / (t.loopGapMs ?? 200) : 0,
      },
      watermark: 0.05,
      ...(Number.isFinite(procIn) ? { gateway_proc_in: Math.max(0, procIn) } : {}),
      ...(Number.isFinite(procOut) ? { gateway_proc_out: Math.max(0, procOut) } : {}),
    },
    ...(epochs.length > 0 ? { epochs } : {}),
  };
  const path = join(dir, 'meta.jsonl');
  writeFileSync(path, `${JSON.stringify(meta)}\n`);
  return path;
}
