import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyTopologyDocument } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { createDirectory } from './directory.js';
import { createStore, StoreError } from './store.js';
import { directoryFixture, post, testIdentity, until } from './test-support/fixtures.js';

const EPOCH_MS = 400;

describe('store', () => {
  it('writes files whole with mode 0600 and keeps only the newest documents', () => {
    const { dir } = directoryFixture();
    const store = createStore(join(dir, 'data'));
    store.saveState({ genesis: 5, activePerLayer: 3 });
    expect(store.loadState()).toEqual({ genesis: 5, activePerLayer: 3 });
    expect(statSync(join(dir, 'data', 'state.json')).mode & 0o777).toBe(0o600);
    for (let e = 0; e < 5; e++) store.saveDocument(e, { document: `{"e":${e}}`, signature: 'ab' });
    store.prune(2);
    expect(store.epochs()).toEqual([3, 4]);
    expect(store.loadDocument(4)).toEqual({ document: '{"e":4}', signature: 'ab' });
    expect(store.loadDocument(1)).toBeNull();
    expect(readdirSync(join(dir, 'data')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a corrupt file or a forged descriptor with a StoreError naming the file', () => {
    const { dir } = directoryFixture();
    const store = createStore(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'scores.json'), '{"v":1,');
    expect(() => store.loadScores()).toThrow(/scores\.json: not valid JSON/);
    const n = testIdentity('mix-1');
    const signed = n.signed();
    writeFileSync(
      join(dir, 'data', 'registry.json'),
      JSON.stringify({
        v: 1,
        entries: [{ signed: { ...signed, signature: '00'.repeat(64) }, firstSeen: 1, lastAnnounce: 1 }],
      }),
    );
    expect(() => store.loadRegistry()).toThrow(StoreError);
    expect(() => store.loadRegistry()).toThrow(/registry\.json: entries\[0\]/);
  });
});

describe('a restarted directory', () => {
  it('keeps its nodes, scores and epoch numbering, and never goes back', async () => {
    const fx = directoryFixture({
      epochMs: EPOCH_MS,
      announceMs: 60_000,
      monitor: { intervalMs: 100, timeoutMs: 100 },
    });
    const nodes = ['mix-1', 'mix-2', 'mix-3'].map((id) => testIdentity(id)).concat(testIdentity('gw-1', 'gateway'));
    let probes = 0;
    const probe = async () => {
      probes++;
      return true;
    };
    const first = createDirectory(fx.config, { probe });
    await first.start();
    for (const n of nodes) expect((await post(`${first.url}/v1/descriptors`, n.signed())).status).toBe(200);
    await until(() => (first.current()?.epoch ?? -1) >= 2, 10_000, 'epoch 2');
    const before = first.current();
    if (!before) throw new Error('no document');
    const scoresBefore = first.nodes().map((n) => [n.id, n.score, n.tested]);
    await first.stop();

    // Same key, same data folder, a fresh process's worth of state.
    const second = createDirectory(fx.config, { probe });
    expect(second.current()?.epoch).toBeGreaterThanOrEqual(before.epoch);
    expect(second.nodes().map((n) => [n.id, n.score, n.tested])).toEqual(scoresBefore);
    await second.start();
    const res = await fetch(`${second.url}/v1/topology/epoch/${before.epoch}`);
    expect(verifyTopologyDocument(await res.json(), { publicKey: fx.publicKey }).hash).toBe(before.hash);
    // The next epochs continue the same grid, without re-registering anything.
    const later = await until(
      () => {
        const c = second.current();
        return c && c.epoch > before.epoch ? c : undefined;
      },
      10_000,
      'an epoch after the restart',
    );
    const doc = verifyTopologyDocument(later.signed, { publicKey: fx.publicKey, afterEpoch: before.epoch }).document;
    const beforeFrom = (JSON.parse(before.signed.document) as { validFrom: number }).validFrom;
    expect((doc.validFrom - beforeFrom) % EPOCH_MS).toBe(0);
    expect(doc.layers.flat()).toHaveLength(3);
    expect(second.nodes().every((n) => n.state === 'active')).toBe(true);
    await second.stop();
    expect(probes).toBeGreaterThan(0);
  });

  it('refuses a data folder whose documents another key signed', async () => {
    const fx = directoryFixture({ epochMs: EPOCH_MS, monitor: { intervalMs: 100, timeoutMs: 100 } });
    const d = createDirectory(fx.config, { probe: async () => true });
    await d.start();
    for (const n of ['mix-1', 'mix-2', 'mix-3'].map((id) => testIdentity(id)).concat(testIdentity('gw-1', 'gateway')))
      await post(`${d.url}/v1/descriptors`, n.signed());
    await until(() => d.current(), 10_000, 'a document');
    await d.stop();
    const other = directoryFixture(
      { epochMs: EPOCH_MS, dataDir: join(fx.dir, 'data') },
      join(fx.dir, 'other'),
      ed25519.utils.randomSecretKey(),
    );
    expect(() => createDirectory(other.config)).toThrow(/does not verify with this directory's key/);
  });
});
