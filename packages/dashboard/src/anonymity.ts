/**
 * The anonymity a traced testnet is buying right now: the last window of its trace files (the tail
 * of each, lines whose time falls in the newest `windowS` seconds) copied to a scratch folder with a
 * meta header (writeTraceMeta, as `down` writes it), then analysed by @mixnet/analyze.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeTraces } from '@mixnet/analyze';
import { writeTraceMeta } from '@mixnet/testnet';

export interface AnonymityOptions {
  traceDir: string;
  topologyPath: string;
  /** Mean per-hop delay, ms. */
  mu: number;
  /** Seconds of trace analysed. */
  windowS?: number;
  /** Bytes read from the end of each file (bounds the work on a long run). */
  tailBytes?: number;
}

export interface AnonymityFigures {
  /** Mean H_out in bits over forward targets of the window. */
  hOut: number | null;
  /** Mean degree of anonymity d = H_snd / log2 N. */
  degree: number | null;
  hSnd: number | null;
  targets: number;
  senders: number;
  windowS: number;
  /** Why there is no figure (no traffic yet, a bad trace). */
  error?: string;
}

async function tail(path: string, bytes: number): Promise<string[]> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    const lines = buf.toString('utf8').split('\n');
    if (start > 0) lines.shift(); // a partial first line
    lines.pop(); // the last is empty, or still being written
    return lines;
  } finally {
    await fh.close();
  }
}

const timeOf = (line: string): number => {
  try {
    const o = JSON.parse(line) as { ti?: unknown; tx?: unknown };
    return Math.max(typeof o.ti === 'number' ? o.ti : 0, typeof o.tx === 'number' ? o.tx : 0);
  } catch {
    return Number.NaN;
  }
};

/**
 * writeTraceMeta knows clients by the testnet's `c-` names; any other file that is neither a mix
 * nor a gateway is a client too (e.g. a simulator's `c0`).
 */
function includeAllClients(metaPath: string, ids: string[]): void {
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as {
    clients: string[];
    gateways: string[];
    layers: string[][];
  };
  const relays = new Set([...meta.gateways, ...meta.layers.flat()]);
  const clients = new Set([...meta.clients, ...ids.filter((id) => !relays.has(id))]);
  meta.clients = [...clients].sort();
  writeFileSync(metaPath, `${JSON.stringify(meta)}\n`);
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

export async function windowAnonymity(o: AnonymityOptions): Promise<AnonymityFigures> {
  const windowS = o.windowS ?? 30;
  let names: string[];
  try {
    names = readdirSync(o.traceDir);
  } catch {
    names = [];
  }
  const files = names.filter((f) => f.endsWith('.jsonl') && f !== 'meta.jsonl');
  const empty = (error: string): AnonymityFigures => ({
    hOut: null,
    degree: null,
    hSnd: null,
    targets: 0,
    senders: 0,
    windowS,
    error,
  });
  if (files.length === 0) return empty('no trace files yet');
  const byFile = new Map<string, { line: string; t: number }[]>();
  let tEnd = 0;
  for (const f of files) {
    const lines = (await tail(join(o.traceDir, f), o.tailBytes ?? 4 << 20))
      .map((line) => ({ line, t: timeOf(line) }))
      .filter((l) => Number.isFinite(l.t));
    for (const l of lines) tEnd = Math.max(tEnd, l.t);
    byFile.set(f, lines);
  }
  const scratch = mkdtempSync(join(tmpdir(), 'mixnet-dash-trace-'));
  try {
    let kept = 0;
    for (const [f, lines] of byFile) {
      const recent = lines.filter((l) => l.t >= tEnd - windowS).map((l) => l.line);
      kept += recent.length;
      if (recent.length > 0) writeFileSync(join(scratch, f), `${recent.join('\n')}\n`);
    }
    if (kept === 0) return empty('no traffic in the window');
    const metaPath = await writeTraceMeta(scratch, { mu: o.mu, topologyPath: o.topologyPath });
    includeAllClients(
      metaPath,
      [...byFile.keys()].map((f) => f.slice(0, -'.jsonl'.length)),
    );
    const r = await analyzeTraces([scratch]);
    return {
      hOut: finite(r.hOut.mean),
      degree: finite(r.degree.mean),
      hSnd: finite(r.hSnd.mean),
      targets: r.targets.forward,
      senders: r.senders,
      windowS,
    };
  } catch (err) {
    return empty((err as Error).message);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
