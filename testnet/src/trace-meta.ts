/**
 * The meta header of a traced testnet run (ANONYMITY.md §1), written into the trace folder as
 * `meta.jsonl` when the run ends: it needs the clients that took part, known only afterwards.
 * The processing constant c is the smallest hold a mix recorded (ground truth lines carry both ti
 * and tx), the public figure the adversary is assumed to know.
 */
import { createReadStream, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Topology } from '@mixnet/sphinx/wire';

export interface TraceMetaOptions {
  /** Mean per-hop delay, ms. */
  mu: number;
  topologyPath: string;
  traffic?: { sendGapMs?: number; loopGapMs?: number; cover?: boolean; realPerSecond?: number };
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
  const clients = files.filter((f) => f.startsWith('c-')).map((f) => f.slice(0, -'.jsonl'.length));
  const mixIds = new Set(topology.layers.flat().map((n) => n.id));
  let proc = Number.POSITIVE_INFINITY;
  let tStart = Number.POSITIVE_INFINITY;
  let tEnd = 0;
  for (const f of files) {
    const id = f.slice(0, -'.jsonl'.length);
    await scan(join(dir, f), (o) => {
      const ti = typeof o.ti === 'number' ? o.ti : undefined;
      const tx = typeof o.tx === 'number' ? o.tx : undefined;
      if (mixIds.has(id) && ti !== undefined && tx !== undefined) proc = Math.min(proc, tx - ti);
      if (o.gt && tx !== undefined) tStart = Math.min(tStart, tx);
      tEnd = Math.max(tEnd, tx ?? ti ?? 0);
    });
  }
  const t = opts.traffic ?? {};
  const cover = t.cover ?? true;
  const meta = {
    type: 'meta',
    clients,
    gateways: topology.gateways.map((g) => g.id),
    layers: topology.layers.map((l) => l.map((n) => n.id)),
    mean_delay: opts.mu / 1000,
    proc: Number.isFinite(proc) ? Math.max(0, proc) : 0,
    ...(Number.isFinite(tStart) ? { t_start: tStart } : {}),
    ...(tEnd > 0 ? { t_end: tEnd } : {}),
    params: {
      cover,
      scheme: cover ? 'buffered' : 'independent',
      rates: {
        ...(t.realPerSecond !== undefined ? { real: t.realPerSecond } : {}),
        payload: 1000 / (t.sendGapMs ?? 20),
        loop: cover ? 1000 / (t.loopGapMs ?? 200) : 0,
      },
      watermark: 0.05,
    },
  };
  const path = join(dir, 'meta.jsonl');
  writeFileSync(path, `${JSON.stringify(meta)}\n`);
  return path;
}
