/** The wide-area model (geo.ts): a symmetric RTT table, round-robin regions, one rule per region. */
import { describe, expect, it } from 'vitest';
import { relayIds } from './generate.js';
import { assignRegions, geoRules, oneWayMs, REGIONS, RTT_MS } from './geo.js';
import { DEFAULT_PLAN } from './testnet.js';

describe('geo model', () => {
  it('has a symmetric table with small same-region and large intercontinental round trips', () => {
    for (const a of REGIONS)
      for (const b of REGIONS) {
        expect(RTT_MS[a][b]).toBe(RTT_MS[b][a]);
        expect(RTT_MS[a][b]).toBeGreaterThan(0);
        if (a !== b) expect(RTT_MS[a][b]).toBeGreaterThan(RTT_MS[a][a]);
      }
    expect(oneWayMs('ap-southeast', 'sa-east')).toBe(RTT_MS['ap-southeast']['sa-east'] / 2);
  });

  it('spreads every layer over the regions, round-robin', () => {
    const ids = relayIds({ ...DEFAULT_PLAN, layers: 3, nodesPerLayer: 6, gateways: 2 });
    const regions = assignRegions(ids);
    for (const l of [1, 2, 3]) {
      const layer = ids.filter((id) => id.startsWith(`mix-${l}-`)).map((id) => regions.get(id));
      expect(new Set(layer).size).toBe(REGIONS.length);
    }
    expect(regions.get('mix-1-1')).toBe('us-east');
    expect(regions.get('mix-2-1')).toBe('us-west'); // layers start one region apart
    expect(regions.get('gateway-2')).toBe('us-west');
  });

  it('gives a node one outbound rule per region with the one-way delay, naming every other node once', () => {
    const ids = relayIds({ ...DEFAULT_PLAN, layers: 2, nodesPerLayer: 2, gateways: 1 });
    const regions = assignRegions(ids);
    const rules = geoRules('mix-1-1', regions);
    expect(rules.every((r) => r.direction === 'out')).toBe(true);
    const named = rules.flatMap((r) => r.peers ?? []);
    expect(named.sort()).toEqual(ids.filter((id) => id !== 'mix-1-1').sort());
    for (const r of rules)
      for (const peer of r.peers ?? [])
        expect(r.latencyMs).toBe(oneWayMs('us-east', regions.get(peer) as (typeof REGIONS)[number]));
    expect(geoRules('not-a-node', regions)).toEqual([]);
  });
});
