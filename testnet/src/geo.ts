/**
 * The wide-area latency model of `testnet up --latency geo` (issue 17): every mix and gateway is
 * placed in one of six regions, round-robin within its layer (gateways in their own round), and
 * each node gets one base fault rule per region (links.faults in its config) delaying packets to
 * the nodes there by half the round trip between the two regions.
 *
 * RTT_MS: round trips between the AWS regions us-east-1, us-west-1, eu-west-1, eu-central-1,
 * ap-southeast-1 and sa-east-1: the average inter-region latencies (ms, 2017) tabulated in
 * https://acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html (from the post
 * "Latency Between AWS Global Regions"); the two directions averaged and rounded to 1 ms. They give
 * latencies of the right size for a network spread over continents, not AWS on any given day. The
 * same region: 2 ms (two zones of one region; our choice, not from that table).
 */
import type { FaultRule } from '@mixnet/node';

export const REGIONS = ['us-east', 'us-west', 'eu-west', 'eu-central', 'ap-southeast', 'sa-east'] as const;
export type Region = (typeof REGIONS)[number];
export type LatencyModel = 'none' | 'geo';

/** Round trip in ms between two regions (symmetric); see the header for the source. */
export const RTT_MS: Readonly<Record<Region, Readonly<Record<Region, number>>>> = {
  'us-east': { 'us-east': 2, 'us-west': 72, 'eu-west': 81, 'eu-central': 89, 'ap-southeast': 217, 'sa-east': 120 },
  'us-west': { 'us-east': 72, 'us-west': 2, 'eu-west': 153, 'eu-central': 167, 'ap-southeast': 174, 'sa-east': 193 },
  'eu-west': { 'us-east': 81, 'us-west': 153, 'eu-west': 2, 'eu-central': 20, 'ap-southeast': 239, 'sa-east': 191 },
  'eu-central': {
    'us-east': 89,
    'us-west': 167,
    'eu-west': 20,
    'eu-central': 2,
    'ap-southeast': 326,
    'sa-east': 195,
  },
  'ap-southeast': {
    'us-east': 217,
    'us-west': 174,
    'eu-west': 239,
    'eu-central': 326,
    'ap-southeast': 2,
    'sa-east': 328,
  },
  'sa-east': { 'us-east': 120, 'us-west': 193, 'eu-west': 191, 'eu-central': 195, 'ap-southeast': 328, 'sa-east': 2 },
};

/** One-way delay between two regions: half the round trip. */
export function oneWayMs(a: Region, b: Region): number {
  return RTT_MS[a][b] / 2;
}

/**
 * Regions of the nodes, round-robin per layer: `mix-<layer>-<n>` is in REGIONS[(layer - 1 + n - 1)
 * mod 6] (so the first mix of every layer is not in the same place), `gateway-<g>` in
 * REGIONS[(g - 1) mod 6]. Ids of another shape go round-robin in the order given.
 */
export function assignRegions(ids: readonly string[]): Map<string, Region> {
  const out = new Map<string, Region>();
  let other = 0;
  for (const id of ids) {
    const mix = /^mix-(\d+)-(\d+)$/.exec(id);
    const gw = /^gateway-(\d+)$/.exec(id);
    const i = mix ? Number(mix[1]) - 1 + Number(mix[2]) - 1 : gw ? Number(gw[1]) - 1 : other++;
    out.set(id, REGIONS[i % REGIONS.length] as Region);
  }
  return out;
}

/**
 * The base fault rules of node `id`: per region that has nodes, one outbound rule naming them with
 * the one-way delay from `id`'s region. Applied on the sending side of every link, so a packet
 * from a to b waits oneWay(a, b) once.
 */
export function geoRules(id: string, regions: ReadonlyMap<string, Region>): FaultRule[] {
  const self = regions.get(id);
  if (self === undefined) return [];
  const byRegion = new Map<Region, string[]>();
  for (const [peer, r] of regions) {
    if (peer === id) continue;
    const list = byRegion.get(r) ?? [];
    list.push(peer);
    byRegion.set(r, list);
  }
  return REGIONS.filter((r) => byRegion.has(r)).map((r) => ({
    id: `geo:${self}->${r}`,
    direction: 'out' as const,
    peers: byRegion.get(r) as string[],
    latencyMs: oneWayMs(self, r),
  }));
}
