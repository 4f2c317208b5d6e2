/**
 * The draw of an epoch's active set (docs/directory.md §4), pure: from the seed and the scores of
 * the eligible nodes, anyone gets the same layers, gateways and standby list.
 *
 *   weight    w = score^20 (Nym: saturation × performance^20; saturation is 1 here); w = 0 never drawn
 *   draw      Efraimidis–Spirakis without replacement: each node with w > 0, in id order, takes one uniform u
 *             from the seeded stream and the key ln(u)/w (the order of u^(1/w)); the k largest win
 *   mixes     k = activePerLayer × layers, then a Fisher–Yates shuffle (i from the end, j = ⌊u·(i+1)⌋),
 *             then dealt round-robin: the i-th mix goes to layer i mod layers
 *   gateways  k = activeGateways, drawn the same way after the mixes, from the same stream
 *   standby   every eligible node not drawn, in id order
 * A layer left empty (too few eligible mixes) keeps the previous epoch's mixes of that layer that
 * are not placed elsewhere; no gateway drawn keeps the previous gateways.
 */
import { createSeededRandom, type SeededRandom } from './prng.js';

export const SCORE_EXPONENT = 20;

export interface Candidate {
  id: string;
  /** In [0, 1]. */
  score: number;
}

export interface SelectionInput {
  seed: Uint8Array;
  /** Eligible mixes and gateways (ineligible ones are not passed in). */
  mixes: readonly Candidate[];
  gateways: readonly Candidate[];
  layers: number;
  activePerLayer: number;
  activeGateways: number;
  /** The previous epoch's active set, for layers (or gateways) that would be empty. */
  previous?: { layers: readonly (readonly string[])[]; gateways: readonly string[] };
}

export interface Selection {
  layers: string[][];
  gateways: string[];
  standby: string[];
}

export const weightOf = (score: number): number => (score > 0 ? score ** SCORE_EXPONENT : 0);

const byId = (a: Candidate, b: Candidate) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Efraimidis–Spirakis: up to k ids, weighted without replacement, in decreasing key order. */
export function weightedSample(candidates: readonly Candidate[], k: number, random: SeededRandom): string[] {
  const keyed: { id: string; key: number }[] = [];
  // Nodes of weight 0 take no number: listing them (as the document does, with score 0) or not
  // gives the same draw.
  for (const c of [...candidates].sort(byId)) {
    const w = weightOf(c.score);
    if (w > 0) keyed.push({ id: c.id, key: Math.log(random.uniform()) / w });
  }
  keyed.sort((a, b) => b.key - a.key || (a.id < b.id ? -1 : 1));
  return keyed.slice(0, Math.max(0, k)).map((e) => e.id);
}

export function shuffle<T>(items: T[], random: SeededRandom): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random.uniform() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

export function selectActiveSet(input: SelectionInput): Selection {
  const random = createSeededRandom(input.seed);
  const mixes = shuffle(weightedSample(input.mixes, input.activePerLayer * input.layers, random), random);
  const layers: string[][] = Array.from({ length: input.layers }, () => []);
  mixes.forEach((id, i) => {
    (layers[i % input.layers] as string[]).push(id);
  });
  let gateways = weightedSample(input.gateways, input.activeGateways, random);

  const placed = new Set(mixes);
  layers.forEach((layer, i) => {
    if (layer.length > 0) return;
    for (const id of input.previous?.layers[i] ?? []) {
      if (!placed.has(id)) {
        layer.push(id);
        placed.add(id);
      }
    }
  });
  if (gateways.length === 0) gateways = [...(input.previous?.gateways ?? [])];

  const active = new Set([...layers.flat(), ...gateways]);
  const standby = [...input.mixes, ...input.gateways]
    .filter((c) => weightOf(c.score) > 0 && !active.has(c.id))
    .sort(byId)
    .map((c) => c.id);
  return { layers, gateways, standby };
}
