/** `scale` under `--latency geo` (scale.ts): a new mix gets its own region's rules and token, the others' configs name it. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FaultRule } from './faults.js';
import { assignRegions, oneWayMs, type Region } from './geo.js';
import { paths, readState } from './layout.js';
import { scaleTestnet } from './scale.js';
import { downTestnet, upTestnet } from './testnet.js';

const rulesOf = (dir: string, id: string) =>
  (JSON.parse(readFileSync(paths(dir).config(id), 'utf8')) as { links?: { faults?: FaultRule[] } }).links?.faults ?? [];

describe('scale with --latency geo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-scale-geo-'));
  afterAll(async () => {
    await downTestnet(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('places the new mix in its region and names it in the other relays’ rules', { timeout: 120_000 }, async () => {
    await upTestnet({
      dir,
      layers: 2,
      nodesPerLayer: 1,
      chain: 'none',
      epochMs: 2_000,
      skipSmoke: true,
      latency: 'geo',
    });
    const { added } = await scaleTestnet({ dir, activePerLayer: 2 });
    expect(added.length).toBe(2);
    const state = readState(dir);
    const relays = (state?.processes ?? []).filter((p) => p.role === 'mix' || p.role === 'gateway').map((p) => p.id);
    const regions = assignRegions(relays);
    for (const id of added) {
      expect(state?.processes.find((p) => p.id === id)?.region).toBe(regions.get(id));
      const own = rulesOf(dir, id);
      // Every other relay named once, with the one-way delay from the new mix's region.
      expect(own.flatMap((r) => r.peers ?? []).sort()).toEqual(relays.filter((x) => x !== id).sort());
      for (const r of own)
        for (const peer of r.peers ?? [])
          expect(r.latencyMs).toBe(oneWayMs(regions.get(id) as Region, regions.get(peer) as Region));
      // The others name it (read at their next start).
      expect(rulesOf(dir, 'gateway-1').some((r) => r.peers?.includes(id))).toBe(true);
      expect(statSync(join(paths(dir).keys(id), 'admin.token')).mode & 0o777).toBe(0o600);
    }
  });
});
