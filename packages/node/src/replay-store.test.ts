/**
 * Replay filters per key rotation (issue 14 #3). The saturation test runs the old behaviour (one
 * filter for every key, never reset) beside the new (one filter per rotation, dropped with its key)
 * on the same traffic: the old one's false drops of fresh packets climb towards 100 %, the new one
 * stays at its target rotation after rotation.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@mixnet/sphinx';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openReplayFilter } from './replay-filter.js';
import { createReplayStore } from './replay-store.js';
import type { SphinxKey } from './sphinx-keys.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'replay-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tags = (n: number) => {
  const all = randomBytes(32 * n);
  return Array.from({ length: n }, (_, i) => all.subarray(32 * i, 32 * i + 32));
};
const keyOf = (rotation: number): SphinxKey => ({ rotation, ...generateKeyPair() });

describe('saturation: one filter for all keys vs. one per rotation', () => {
  it('keeps the false-drop rate of fresh packets at its target over 12 rotations, where one filter reaches ~100 %', async () => {
    const packetRate = 400;
    const keyLifetimeSec = 10;
    const perRotation = packetRate * keyLifetimeSec; // exactly what each filter is sized for
    const fpr = 1e-3;
    const rotations = 12;
    const old = await openReplayFilter({ packetRate, keyLifetimeSec, falsePositiveRate: fpr });
    const store = createReplayStore({
      dataDir: dir,
      layout: 'rotating',
      packetRate,
      keyLifetimeSec,
      falsePositiveRate: fpr,
    });
    let keys = [keyOf(0), keyOf(1)];
    await store.open(keys);
    const oldRates: number[] = [];
    const newRates: number[] = [];
    for (let r = 0; r < rotations; r++) {
      // A rotation's traffic: fresh packets, each checked as the relay does; "seen" is a false drop.
      const traffic = tags(perRotation);
      let oldFalse = 0;
      let newFalse = 0;
      for (const t of traffic) {
        if (store.checkAndAdd(r, t)) newFalse++;
        if (old.checkAndAdd(t)) oldFalse++;
      }
      store.flush();
      oldRates.push(oldFalse / perRotation);
      newRates.push(newFalse / perRotation);
      // Every replay within the rotation is caught (a Bloom filter has no false negatives).
      expect(traffic.every((t) => store.checkAndAdd(r, t))).toBe(true);
      // The key rotates: r+1 becomes current, r stays as previous (grace), r−1 goes with its filter.
      const next = keys.find((k) => k.rotation === r + 1) as SphinxKey;
      keys = [next, keys.find((k) => k.rotation === r) as SphinxKey, keyOf(r + 2)];
      await store.open(keys);
      keys = keys.filter((k) => k.rotation >= r); // grace over for r−1
      await store.retain(keys);
    }
    console.log(
      `false drops per rotation — one filter: ${oldRates.map((x) => x.toFixed(3)).join(' ')}; per rotation: ${newRates.map((x) => x.toFixed(4)).join(' ')}`,
    );
    expect(oldRates.at(-1)).toBeGreaterThan(0.9);
    expect(oldRates[2]).toBeGreaterThan(0.05);
    expect(oldRates[0]).toBeLessThan(5 * fpr); // the same filter was fine while it held one key's worth
    for (const rate of newRates) expect(rate).toBeLessThan(5 * fpr);
    // Never more than three filters (previous, current, next), whatever the number of rotations.
    expect(store.stats().length).toBeLessThanOrEqual(3);
    expect(readdirSync(join(dir, 'replay')).filter((n) => n.endsWith('.bin')).length).toBeLessThanOrEqual(3);
    await store.close();
    await old.close();
  });
});

describe('replay store', () => {
  const opts = { packetRate: 100, keyLifetimeSec: 10, falsePositiveRate: 1e-4 };

  it('catches a replay of the previous key during its grace period, and forgets it with its key', async () => {
    const store = createReplayStore({ ...opts, dataDir: dir, layout: 'rotating' });
    const [k0, k1, k2] = [keyOf(0), keyOf(1), keyOf(2)];
    await store.open([k0, k1]);
    const t = tags(1)[0] as Uint8Array;
    expect(store.checkAndAdd(0, t)).toBe(false);
    await store.open([k1, k0, k2]);
    await store.retain([k1, k0, k2]);
    expect(store.checkAndAdd(0, t)).toBe(true);
    expect(store.checkAndAdd(1, t)).toBe(false); // another key, another tag space
    await store.retain([k1, k2]);
    expect(store.checkAndAdd(0, t)).toBeUndefined();
    expect(readdirSync(join(dir, 'replay')).some((n) => n.startsWith('0-'))).toBe(false);
    await store.close();
  });

  it('reloads each filter with its key after a restart, and never pairs a filter with a new key', async () => {
    const [k0, k1] = [keyOf(0), keyOf(1)];
    const a = createReplayStore({ ...opts, dataDir: dir, layout: 'rotating' });
    await a.open([k0, k1]);
    const t = tags(1)[0] as Uint8Array;
    a.checkAndAdd(1, t);
    await a.close();
    const b = createReplayStore({ ...opts, dataDir: dir, layout: 'rotating' });
    await b.open([k0, k1]);
    expect(b.checkAndAdd(1, t)).toBe(true);
    const k1b = keyOf(1); // rotation 1 got a new key
    await b.open([k0, k1b]);
    await b.retain([k0, k1b]);
    expect(b.checkAndAdd(1, t)).toBe(false);
    await b.close();
  });

  it('deletes filter files a crash left for keys no longer held', async () => {
    const a = createReplayStore({ ...opts, dataDir: dir, layout: 'rotating' });
    const [k0, k1, k2] = [keyOf(0), keyOf(1), keyOf(2)];
    await a.open([k0, k1, k2]);
    a.checkAndAdd(0, tags(1)[0] as Uint8Array);
    a.flush(); // a journal for rotation 0 exists; the process "crashes" here
    const b = createReplayStore({ ...opts, dataDir: dir, layout: 'rotating' });
    await b.open([k1, k2]);
    await b.retain([k1, k2]);
    expect(readdirSync(join(dir, 'replay')).some((n) => n.startsWith('0-'))).toBe(false);
    await b.close();
    await a.close();
  });

  it('keeps the static key at the pre-rotation path, replay-filter.bin', async () => {
    const store = createReplayStore({ ...opts, dataDir: dir, layout: 'static' });
    await store.open([keyOf(0)]);
    store.checkAndAdd(0, tags(1)[0] as Uint8Array);
    await store.close();
    expect(existsSync(join(dir, 'replay-filter.bin'))).toBe(true);
    await expect(store.open([keyOf(0), keyOf(1)])).rejects.toThrow(/one key/);
  });

  it('says once when a filter holds more tags than it was sized for', async () => {
    const saturated: [number, number, number][] = [];
    const store = createReplayStore({
      ...opts,
      packetRate: 10,
      dataDir: dir,
      layout: 'rotating',
      onSaturated: (...a) => saturated.push(a),
    });
    await store.open([keyOf(3)]);
    for (const t of tags(150)) store.checkAndAdd(3, t);
    store.flush();
    for (const t of tags(50)) store.checkAndAdd(3, t);
    store.flush();
    expect(saturated).toHaveLength(1);
    expect(saturated[0]?.[0]).toBe(3);
    expect(saturated[0]?.[2]).toBe(100);
    await store.close();
  });
});
