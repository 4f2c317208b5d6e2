/** Membership (membership.ts): who is a next hop and an inbound peer, grace and departures. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNodeAddress, encodeNodeAddress } from '@mixnet/sphinx';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from './config.js';
import { createMembership, type MembershipNode } from './membership.js';
import { loadTopologyMembers } from './membership-topology.js';

const mix = (id: string, address: string): MembershipNode => ({ id, address, role: 'mix' });
/** A next hop as relay.forward sees it: decoded from the 32-byte Sphinx address. */
const hop = (host: string, port: number) => decodeNodeAddress(encodeNodeAddress({ host, port }));

describe('membership', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('allows nothing before the first update', () => {
    const m = createMembership();
    expect(m.size).toBe(0);
    expect(m.allowsNextHop('127.0.0.1', 1789)).toBe(false);
    expect(m.isMemberHost('127.0.0.1')).toBe(false);
  });

  it('allows exactly the members’ host:port as next hops and their IPs as peers', () => {
    const m = createMembership();
    m.update([mix('a', '10.0.0.1:1789'), mix('b', '10.0.0.2:1790'), mix('c', '[::1]:1789')]);
    expect(m.size).toBe(3);
    expect(m.allowsNextHop('10.0.0.1', 1789)).toBe(true);
    expect(m.allowsNextHop('10.0.0.1', 1790)).toBe(false);
    expect(m.allowsNextHop('10.0.0.3', 1789)).toBe(false);
    expect(m.allowsNextHop('127.0.0.1', 6379)).toBe(false);
    const v6 = hop('0:0:0:0:0:0:0:1', 1789);
    expect(m.allowsNextHop(v6.host, v6.port)).toBe(true);
    expect(m.isMemberHost('10.0.0.2')).toBe(true);
    expect(m.isMemberHost('::ffff:10.0.0.2')).toBe(true);
    expect(m.isMemberHost('::1')).toBe(true);
    expect(m.isMemberHost('10.0.0.9')).toBe(false);
    // An IPv4-mapped next hop is not the IPv4 member: nothing but the exact encoding passes.
    const mapped = hop('::ffff:10.0.0.1', 1789);
    expect(m.allowsNextHop(mapped.host, mapped.port)).toBe(false);
  });

  it('keeps members that left allowed for the grace period, then reports them departed', () => {
    const m = createMembership();
    const departed: { host: string; port: number }[][] = [];
    m.onDeparted((d) => departed.push([...d]));
    m.update([mix('a', '10.0.0.1:1789'), mix('b', '10.0.0.2:1789')]);
    m.update([mix('a', '10.0.0.1:1789')], { graceMs: 1_000 });
    expect(m.size).toBe(1);
    expect(m.allowsNextHop('10.0.0.2', 1789)).toBe(true);
    expect(m.isMemberHost('10.0.0.2')).toBe(true);
    vi.advanceTimersByTime(999);
    expect(departed).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(m.allowsNextHop('10.0.0.2', 1789)).toBe(false);
    expect(m.isMemberHost('10.0.0.2')).toBe(false);
    expect(departed).toEqual([[{ host: '10.0.0.2', port: 1789 }]]);
  });

  it('a member back within its grace is not departed; a later update does not extend a grace', () => {
    const m = createMembership();
    const departed: string[] = [];
    m.onDeparted((d) => departed.push(...d.map((e) => `${e.host}:${e.port}`)));
    m.update([mix('a', '10.0.0.1:1'), mix('b', '10.0.0.2:1'), mix('c', '10.0.0.3:1')]);
    m.update([mix('a', '10.0.0.1:1')], { graceMs: 1_000 });
    vi.advanceTimersByTime(500);
    m.update([mix('a', '10.0.0.1:1'), mix('b', '10.0.0.2:1')], { graceMs: 1_000 });
    vi.advanceTimersByTime(500);
    expect(departed).toEqual(['10.0.0.3:1']);
    expect(m.allowsNextHop('10.0.0.2', 1)).toBe(true);
    expect(m.allowsNextHop('10.0.0.3', 1)).toBe(false);
    m.update([], { graceMs: 0 });
    expect(departed.sort()).toEqual(['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1']);
    expect(m.isMemberHost('10.0.0.1')).toBe(false);
  });

  it('a host stays a member host while any of its endpoints is a member or in grace', () => {
    const m = createMembership();
    m.update([mix('a', '10.0.0.1:1'), mix('b', '10.0.0.1:2')]);
    m.update([mix('a', '10.0.0.1:1')], { graceMs: 0 });
    expect(m.isMemberHost('10.0.0.1')).toBe(true);
    m.update([], { graceMs: 0 });
    expect(m.isMemberHost('10.0.0.1')).toBe(false);
  });

  it('property: with no grace, a next hop is allowed iff it is in the last set', () => {
    const endpoint = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }));
    fc.assert(
      fc.property(fc.array(fc.array(endpoint, { maxLength: 6 }), { minLength: 1, maxLength: 5 }), (updates) => {
        const m = createMembership();
        for (const set of updates) {
          m.update(
            set.map(([h, p]) => mix(`n${h}-${p}`, `10.0.0.${h}:${p}`)),
            { graceMs: 0 },
          );
        }
        const last = new Set((updates.at(-1) ?? []).map(([h, p]) => `${h}:${p}`));
        for (let h = 1; h <= 4; h++) {
          for (let p = 1; p <= 4; p++) expect(m.allowsNextHop(`10.0.0.${h}`, p)).toBe(last.has(`${h}:${p}`));
          expect(m.isMemberHost(`10.0.0.${h}`)).toBe([...last].some((k) => k.startsWith(`${h}:`)));
        }
        expect(m.size).toBe(last.size);
      }),
    );
  });
});

describe('membership from a topology file', () => {
  it('takes every layer’s mixes and every gateway; a bad file is a ConfigError naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mixnet-membership-'));
    const key = 'ab'.repeat(32);
    const node = (id: string, port: number) => ({ id, address: `127.0.0.1:${port}`, sphinxKey: key, identityKey: key });
    writeFileSync(
      join(dir, 'topology.json'),
      JSON.stringify({
        layers: [[node('m1', 1)], [node('m2', 2), node('m3', 3)]],
        gateways: [{ ...node('g1', 4), clientUrl: 'ws://127.0.0.1:5' }],
      }),
    );
    const members = loadTopologyMembers(join(dir, 'topology.json'));
    expect(members.map((m) => `${m.id}/${m.role}/${m.address}`)).toEqual([
      'm1/mix/127.0.0.1:1',
      'm2/mix/127.0.0.1:2',
      'm3/mix/127.0.0.1:3',
      'g1/gateway/127.0.0.1:4',
    ]);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ layers: [] }));
    expect(() => loadTopologyMembers(join(dir, 'bad.json'))).toThrow(ConfigError);
    expect(() => loadTopologyMembers(join(dir, 'bad.json'))).toThrow(/network\.topologyFile/);
    expect(() => loadTopologyMembers(join(dir, 'missing.json'))).toThrow(/network\.topologyFile/);
  });
});
