import { signTopologyDocument, verifyTopologyDocument } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { type BuildOptions, buildDocument } from './document.js';
import { epochAt, epochSeed, keyRotationOf, nextEpoch } from './epochs.js';
import { createRegistry, type NodeEntry } from './registry.js';
import { selectActiveSet } from './selection.js';
import { serviceProviderDescriptor, testIdentity } from './test-support/fixtures.js';

describe('the epoch clock', () => {
  const grid = { genesis: 1_000_000, epochMs: 20_000 };
  it('numbers epochs on the grid and never goes back', () => {
    expect(epochAt(grid, 1_000_000)).toBe(0);
    expect(epochAt(grid, 1_019_999)).toBe(0);
    expect(epochAt(grid, 1_020_000)).toBe(1);
    expect(nextEpoch(grid, 0, 1_005_000)).toEqual({ epoch: 1, dueAt: 1_020_000 });
    // A restart long after: the grid's current epoch, now.
    expect(nextEpoch(grid, 1, 1_000_000 + 10 * 20_000 + 5)).toEqual({ epoch: 10, dueAt: 1_200_005 });
    // The clock stepped back: still after the last one.
    expect(nextEpoch(grid, 10, 1_000_000).epoch).toBe(11);
  });
  it('rotates keys every keyRotationEpochs epochs', () => {
    expect([0, 2, 3, 5, 6].map((e) => keyRotationOf(e, 3))).toEqual([0, 0, 1, 1, 2]);
  });
  it('seeds the draw with SHA-256("mixnet-epoch-seed" || previous hash || BE64(epoch))', () => {
    const prev = 'ab'.repeat(32);
    const input = new Uint8Array([
      ...new TextEncoder().encode('mixnet-epoch-seed'),
      ...Buffer.from(prev, 'hex'),
      ...[0, 0, 0, 0, 0, 0, 1, 2],
    ]);
    expect(epochSeed(prev, 258)).toEqual(sha256(input));
    expect(epochSeed(undefined, 0)).toEqual(
      sha256(new Uint8Array([...new TextEncoder().encode('mixnet-epoch-seed'), ...new Uint8Array(40)])),
    );
  });
});

describe('the document of an epoch', () => {
  const layers = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((x) =>
    testIdentity(`mix-${x}`, 'mix', { rotations: [0, 1] }),
  );
  const gws = ['1', '2', '3'].map((x) => testIdentity(`gw-${x}`, 'gateway', { rotations: [0, 1] }));
  const late = testIdentity('mix-late', 'mix', { rotations: [1] }); // no key for rotation 0
  const registry = createRegistry({ admission: 'open', announceMs: 60_000 });
  for (const n of [...layers, ...gws, late]) registry.submit(n.signed());
  registry.submit(serviceProviderDescriptor('sp-1', 'gw-1').signed);
  const scores: Record<string, number> = { 'mix-a': 0, 'mix-b': 0.95 };
  const base = (over: Partial<BuildOptions> = {}): BuildOptions => ({
    epoch: 0,
    grid: { genesis: 1_000_000, epochMs: 20_000 },
    graceMs: 20_000,
    keyRotationEpochs: 3,
    layers: 3,
    activePerLayer: 2,
    activeGateways: 2,
    nodes: registry.nodes(),
    serviceProviders: registry.serviceProviders(),
    view: { isExpired: () => false, score: (id) => scores[id] ?? 1, tested: (id) => id !== 'mix-untested' },
    now: 1_000_000,
    ...over,
  });

  it('is a valid signed document: layers, gateways, standby, scores, validity, seed', () => {
    const doc = buildDocument(base());
    if (!doc) throw new Error('no document');
    const secret = ed25519.utils.randomSecretKey();
    const v = verifyTopologyDocument(signTopologyDocument(doc, secret), {
      publicKey: ed25519.getPublicKey(secret),
      now: 1_000_000,
    });
    expect(v.document.layers.map((l) => l.length)).toEqual([2, 2, 2]);
    expect(v.document.gateways).toHaveLength(2);
    expect(v.document.validFrom).toBe(1_000_000);
    expect(v.document.validUntil).toBe(1_020_000);
    const listed = [...doc.layers.flat(), ...doc.gateways, ...doc.standby].map((n) => n.id).sort();
    // mix-late has no rotation-0 key: not listed. mix-a scored 0: standby with score 0, so nodes let
    // the monitor's probes through it and it can come back.
    expect(listed).toEqual([
      'gw-1',
      'gw-2',
      'gw-3',
      'mix-a',
      'mix-b',
      'mix-c',
      'mix-d',
      'mix-e',
      'mix-f',
      'mix-g',
      'mix-h',
    ]);
    expect(Object.keys(doc.scores).sort()).toEqual(listed);
    expect(doc.scores['mix-b']).toBe(0.95);
    expect(doc.scores['mix-a']).toBe(0);
    expect(doc.standby.map((n) => n.id)).toContain('mix-a');
    // Anyone can redo the draw from the document's seed and scores.
    const redo = selectActiveSet({
      seed: Buffer.from(doc.seed, 'hex'),
      mixes: doc.layers
        .flat()
        .concat(doc.standby.filter((s) => s.role === 'mix'))
        .map((n) => ({ id: n.id, score: doc.scores[n.id] as number })),
      gateways: [...doc.gateways, ...doc.standby.filter((s) => s.role === 'gateway')].map((n) => ({
        id: n.id,
        score: doc.scores[n.id] as number,
      })),
      layers: 3,
      activePerLayer: 2,
      activeGateways: 2,
    });
    expect(redo.layers).toEqual(doc.layers.map((l) => l.map((n) => n.id)));
    expect(redo.gateways).toEqual(doc.gateways.map((g) => g.id));
  });

  it('lists each node with the Sphinx key of the epoch rotation, and a node with only a later key once it rotates', () => {
    const doc = buildDocument(base({ epoch: 3, grid: { genesis: 1_000_000 - 60_000, epochMs: 20_000 } }));
    if (!doc) throw new Error('no document');
    expect(doc.keyRotation).toBe(1);
    const all = [...doc.layers.flat(), ...doc.standby];
    expect(all.map((n) => n.id)).toContain('mix-late');
    const entryB = registry.get('mix-b') as NodeEntry;
    const keyB = entryB.descriptor.sphinxKeys.find((k) => k.rotation === 1)?.key;
    expect(all.find((n) => n.id === 'mix-b')?.sphinxKey).toBe(keyB);
  });

  it('lists an untested node as standby with score 0, and leaves an expired one out', () => {
    const doc = buildDocument(
      base({
        view: {
          isExpired: (e) => e.descriptor.id === 'mix-c',
          score: () => 1,
          tested: (id) => id !== 'mix-d',
        },
      }),
    );
    if (!doc) throw new Error('no document');
    const active = [...doc.layers.flat(), ...doc.gateways].map((n) => n.id);
    expect(active).not.toContain('mix-d');
    expect(doc.standby.find((n) => n.id === 'mix-d')).toMatchObject({ role: 'mix' });
    expect(doc.scores['mix-d']).toBe(0);
    expect([...active, ...doc.standby.map((n) => n.id)]).not.toContain('mix-c');
  });

  it('lists a service provider only behind an active gateway', () => {
    for (let e = 0; e < 10; e++) {
      const doc = buildDocument(
        base({ epoch: e, keyRotationEpochs: 100, grid: { genesis: 1_000_000 - e * 20_000, epochMs: 20_000 } }),
      );
      if (!doc) throw new Error('no document');
      const active = doc.gateways.some((g) => g.id === 'gw-1');
      expect(doc.serviceProviders.map((s) => s.id)).toEqual(active ? ['sp-1'] : []);
    }
  });

  it('has no first document without a mix for every layer and a gateway; later, keeps the previous layer', () => {
    const few = (ids: string[]) => base({ nodes: registry.nodes().filter((e) => ids.includes(e.descriptor.id)) });
    expect(buildDocument(few(['mix-b', 'mix-c', 'gw-1']))).toBeNull();
    expect(buildDocument(few(['mix-b', 'mix-c', 'mix-d']))).toBeNull();
    const first = buildDocument(few(['mix-b', 'mix-c', 'mix-d', 'gw-1']));
    if (!first) throw new Error('no document');
    // Next epoch, one of them is gone: its layer keeps it (routes stay possible), and is not duplicated.
    const gone = first.layers[2]?.[0]?.id as string;
    const next = buildDocument({
      ...few(['mix-b', 'mix-c', 'mix-d', 'gw-1'].filter((x) => x !== gone)),
      epoch: 1,
      previous: { document: first, hash: 'cd'.repeat(32) },
    });
    if (!next) throw new Error('no document');
    expect(next.layers.every((l) => l.length === 1)).toBe(true);
    expect(next.layers.flat().map((n) => n.id)).toContain(gone);
    expect(next.seed).not.toBe(first.seed);
  });
});
