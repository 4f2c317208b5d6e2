/** The Sphinx key ring: rotation, grace, persistence and deletion of old keys (docs/directory.md §6). */
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, publicKeyFromPrivate } from '@mixnet/sphinx';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStaticKeyRing, KeyRingError, openSphinxKeyRing, type SphinxKey } from './sphinx-keys.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sphinx-keys-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const rotations = (keys: SphinxKey[]) => keys.map((k) => k.rotation);
const files = () =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.key'))
    .sort();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('static key ring', () => {
  it('holds the one configured key as rotation 0 and never changes', () => {
    const pair = generateKeyPair();
    const ring = createStaticKeyRing(pair.privateKey);
    expect(ring.rotating).toBe(false);
    expect(rotations(ring.keys())).toEqual([0]);
    expect(ring.current.publicKey).toEqual(pair.publicKey);
    expect(ring.advance(3, 0)).toBe(false);
    expect(ring.current.rotation).toBe(0);
    expect(ring.get(1)).toBeUndefined();
  });
});

describe('rotating key ring', () => {
  it('starts at rotation 0 with the next key ready, in 0600 files', () => {
    const ring = openSphinxKeyRing({ dir });
    expect(rotations(ring.keys())).toEqual([0, 1]);
    expect(files()).toEqual(['0.key', '1.key']);
    for (const f of files()) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    for (const k of ring.keys()) expect(publicKeyFromPrivate(k.privateKey)).toEqual(k.publicKey);
    ring.close();
  });

  it('advances: next becomes current, the old current stays for the grace period, then its file goes', async () => {
    const ring = openSphinxKeyRing({ dir });
    const [k0, k1] = ring.keys() as [SphinxKey, SphinxKey];
    const changes: number[][] = [];
    ring.onChange((keys) => changes.push(rotations(keys)));
    expect(ring.advance(1, 60)).toBe(true);
    expect(ring.advance(1, 60)).toBe(false);
    expect(ring.current.publicKey).toEqual(k1.publicKey);
    expect(ring.previous?.publicKey).toEqual(k0.publicKey);
    expect(rotations(ring.keys())).toEqual([1, 0, 2]);
    expect(files()).toEqual(['0.key', '1.key', '2.key']);
    await sleep(150);
    expect(rotations(ring.keys())).toEqual([1, 2]);
    expect(files()).toEqual(['1.key', '2.key']);
    expect(changes).toEqual([
      [1, 0, 2],
      [1, 2],
    ]);
    ring.close();
  });

  it('survives a restart: same keys, same current, the previous kept until its time', () => {
    const a = openSphinxKeyRing({ dir });
    a.advance(1, 60_000);
    const before = a.keys();
    a.close();
    const b = openSphinxKeyRing({ dir });
    expect(rotations(b.keys())).toEqual([1, 0, 2]);
    expect(b.keys().map((k) => k.publicKey)).toEqual(before.map((k) => k.publicKey));
    b.close();
    // Reopened after the grace period: the previous key is gone, file and all.
    const c = openSphinxKeyRing({ dir, now: () => Date.now() + 120_000 });
    expect(rotations(c.keys())).toEqual([1, 2]);
    expect(files()).toEqual(['1.key', '2.key']);
    c.close();
  });

  it('jumps several rotations: unused keys are deleted, never reused', () => {
    const ring = openSphinxKeyRing({ dir });
    const k1 = ring.next as SphinxKey;
    ring.advance(5, 1_000);
    expect(rotations(ring.keys())).toEqual([5, 0, 6]);
    expect(files()).toEqual(['0.key', '5.key', '6.key']);
    expect(ring.get(1)).toBeUndefined();
    expect(ring.current.publicKey).not.toEqual(k1.publicKey);
    // Two switches within one grace period: the ring keeps three keys, the older previous goes.
    ring.advance(6, 1_000);
    expect(rotations(ring.keys())).toEqual([6, 5, 7]);
    expect(files()).toEqual(['5.key', '6.key', '7.key']);
    ring.close();
  });

  it('refuses a corrupt state file with a clear error', () => {
    writeFileSync(join(dir, 'state.json'), '{"current": -1}');
    expect(() => openSphinxKeyRing({ dir })).toThrow(KeyRingError);
    expect(() => openSphinxKeyRing({ dir })).toThrow(/current/);
    writeFileSync(join(dir, 'state.json'), 'nope');
    expect(() => openSphinxKeyRing({ dir })).toThrow(/not JSON/);
  });

  it('property: any state file either opens or gives a KeyRingError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ current: fc.anything(), previous: fc.anything() })), (v) => {
        writeFileSync(join(dir, 'state.json'), JSON.stringify(v) ?? 'undefined');
        try {
          openSphinxKeyRing({ dir }).close();
        } catch (err) {
          expect(err).toBeInstanceOf(KeyRingError);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a key file others can read', () => {
    openSphinxKeyRing({ dir }).close();
    chmodSync(join(dir, '0.key'), 0o644);
    expect(() => openSphinxKeyRing({ dir })).toThrow(/readable by others/);
  });
});
