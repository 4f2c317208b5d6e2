/** Packing relays into node hosts (issue 16): when, how many, and what each host file lists. */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProcessEntry } from './layout.js';
import { hostMates, packRelays, resolveNodesPerProcess } from './packing.js';

const entry = (dir: string, id: string, role: 'mix' | 'gateway'): ProcessEntry => ({
  id,
  role,
  metricsUrl: 'http://127.0.0.1:1',
  configPath: join(dir, 'configs', `${id}.json`),
  logPath: join(dir, 'logs', `${id}.log`),
});

describe('nodes per process', () => {
  it('auto keeps small testnets at one node per process and packs large ones', () => {
    expect(resolveNodesPerProcess(undefined, 6)).toBe(1);
    expect(resolveNodesPerProcess('auto', 20)).toBe(1);
    expect(resolveNodesPerProcess('auto', 21)).toBeGreaterThan(1);
    expect(resolveNodesPerProcess(5, 10)).toBe(5);
    expect(() => resolveNodesPerProcess(0, 10)).toThrow(/nodes-per-process/);
  });
});

describe('packRelays', () => {
  it('spreads relays round-robin over hosts and writes host files naming their configs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mixnet-pack-'));
    mkdirSync(join(dir, 'configs'));
    const relays = [
      ...[1, 2, 3].flatMap((l) => [1, 2, 3].map((n) => entry(dir, `mix-${l}-${n}`, 'mix'))),
      entry(dir, 'gateway-1', 'gateway'),
    ];
    const hosts = packRelays(dir, relays, 4, 2);
    expect(hosts.map((h) => h.nodes.length)).toEqual([4, 3, 3]);
    // Each layer's three mixes land on three different hosts.
    for (const l of [1, 2, 3]) {
      const of = relays.filter((r) => r.id.startsWith(`mix-${l}-`)).map((r) => r.host);
      expect(new Set(of).size).toBe(3);
    }
    const file = JSON.parse(readFileSync(hosts[0]?.configPath as string, 'utf8'));
    expect(file).toEqual({ workers: 2, nodes: ['mix-1-1.json', 'mix-2-1.json', 'mix-3-1.json', 'gateway-1.json'] });
    expect(relays[0]?.logPath).toBe(join(dir, 'logs', 'host-1.log'));
    expect(hostMates(relays, relays[0] as ProcessEntry).map((p) => p.id)).toEqual([
      'mix-1-1',
      'mix-2-1',
      'mix-3-1',
      'gateway-1',
    ]);
  });

  it('changes nothing at one node per process', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mixnet-pack-'));
    const relays = [entry(dir, 'mix-1-1', 'mix'), entry(dir, 'gateway-1', 'gateway')];
    expect(packRelays(dir, relays, 1, 1)).toEqual([]);
    expect(relays.every((r) => r.host === undefined)).toBe(true);
    expect(hostMates(relays, relays[0] as ProcessEntry)).toEqual([relays[0]]);
  });
});
