/** Hand-built traces for tests: line writers in the §1 format (times in seconds). */
import type { MetaHeader } from '../trace-format.js';
import { memorySource, type TraceSource } from '../trace-reader.js';

export function meta(extra: Partial<MetaHeader> = {}): MetaHeader {
  return {
    type: 'meta',
    clients: ['a', 'b', 'r'],
    gateways: ['g'],
    layers: [['M']],
    mean_delay: 1,
    proc: 0.001,
    t_end: 100,
    params: { watermark: 0 },
    ...extra,
  };
}

export const emit = (n: string, tx: number, hx: string, d = 'r', k = 'real', nx = 'g') =>
  JSON.stringify({ n, tx, nx, hx, gt: { k, d } });

export const hop = (n: string, ti: number, pi: string, hi: string, tx: number | null, nx?: string, hx?: string) =>
  JSON.stringify(tx === null ? { n, ti, pi, hi, tx } : { n, ti, pi, hi, tx, nx, hx });

export const deliver = (n: string, ti: number, pi: string, hi: string) => JSON.stringify({ n, ti, pi, hi });

/**
 * One packet through client → g → M → g → recipient with the given times: emitted at `t`, at M from
 * `t + c` to `out`, delivered at `out + c` (c = 0.001). Returns lines per node.
 */
export function packet(id: string, from: string, t: number, out: number, to = 'r'): Record<string, string[]> {
  const c = 0.001;
  return {
    [from]: [emit(from, t, `${id}0`, to)],
    g: [hop('g', t, from, `${id}0`, t + c, 'M', `${id}1`), hop('g', out, 'M', `${id}2`, out + c, to, `${id}3`)],
    M: [hop('M', t + c, 'g', `${id}1`, out, 'g', `${id}2`)],
    [to]: [deliver(to, out + c, 'g', `${id}3`)],
  };
}

/** Merges per-node line lists, sorting each node's lines by write time (tx, else ti). */
export function sources(header: MetaHeader, ...parts: Record<string, string[]>[]): TraceSource[] {
  const byNode = new Map<string, string[]>();
  for (const part of parts) {
    for (const [node, lines] of Object.entries(part)) byNode.set(node, [...(byNode.get(node) ?? []), ...lines]);
  }
  const time = (l: string) => {
    const o = JSON.parse(l) as { ti?: number; tx?: number | null };
    return typeof o.tx === 'number' ? o.tx : (o.ti ?? 0);
  };
  const out = [memorySource('meta.jsonl', [JSON.stringify(header)])];
  for (const [node, lines] of byNode)
    out.push(
      memorySource(
        `${node}.jsonl`,
        [...lines].sort((x, y) => time(x) - time(y)),
      ),
    );
  return out;
}
