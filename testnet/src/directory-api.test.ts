/** The testnet's side of the directory API, against a stand-in directory on loopback. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DocumentError } from '@mixnet/sphinx/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminScale, DirectoryApiError, fetchDocument, unfilled, waitForDocument } from './directory-api.js';
import { type TestnetState, writeState } from './layout.js';
import { type FakeDirectory, makeDocument, startFakeDirectory } from './test-support/fake-directory.js';
import { testnetStatus } from './testnet.js';

describe('directory API client', () => {
  let fake: FakeDirectory;
  const dirs: string[] = [];
  const tmp = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  beforeAll(async () => {
    fake = await startFakeDirectory();
  });
  afterAll(async () => {
    await fake.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('has no document before the first epoch, then a verified one; a document signed by another key is refused', async () => {
    const ref = { url: fake.url, publicKey: fake.publicKey };
    expect(await fetchDocument(ref)).toBeUndefined();
    fake.publish(makeDocument(1, [2, 2, 2]));
    expect((await fetchDocument(ref))?.document.epoch).toBe(1);
    fake.publish(makeDocument(2, [2, 2, 2]), randomBytes(32));
    const err = await fetchDocument(ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DocumentError);
    expect((err as DocumentError).code).toBe('BAD_SIGNATURE');
  });

  it('says what a document lacks: a short layer, gateways, the service provider', () => {
    const t = { layers: 3, activePerLayer: 2, activeGateways: 2, serviceProviders: ['service-provider'] };
    expect(unfilled(makeDocument(3, [2, 1, 2], 2, 'service-provider'), t)).toMatch(/layer 2 has 1 of 2 mixes/);
    expect(unfilled(makeDocument(3, [2, 2, 2], 1, 'service-provider'), t)).toMatch(/1 of 2 gateways/);
    expect(unfilled(makeDocument(3, [2, 2, 2], 2), t)).toMatch(/service provider service-provider not listed/);
    expect(unfilled(makeDocument(3, [2, 2, 2], 2, 'service-provider'), t)).toBeUndefined();
    expect(unfilled(makeDocument(3, [3, 3, 3], 3, 'service-provider'), t)).toBeUndefined();
  });

  it('waits for a filled epoch, and times out naming what is missing', async () => {
    const ref = { url: fake.url, publicKey: fake.publicKey };
    const t = { layers: 3, activePerLayer: 2, activeGateways: 1 };
    fake.publish(makeDocument(4, [2, 1, 2]));
    const timeout = await waitForDocument(ref, (d) => unfilled(d, t), 300, 50).catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(DirectoryApiError);
    expect((timeout as Error).message).toMatch(/layer 2 has 1 of 2/);
    setTimeout(() => fake.publish(makeDocument(5, [2, 2, 2])), 200);
    const doc = await waitForDocument(ref, (d) => unfilled(d, t), 5_000, 50);
    expect(doc.document.epoch).toBe(5);
  });

  it('calls scale with the bearer token of the token file, and reports a refusal', async () => {
    const dir = tmp('mixnet-dirapi-');
    const good = join(dir, 'good.token');
    const bad = join(dir, 'bad.token');
    writeFileSync(good, `${fake.token}\n`, { mode: 0o600 });
    writeFileSync(bad, 'not-the-token-at-all\n', { mode: 0o600 });
    await adminScale({ url: fake.url, publicKey: fake.publicKey, adminTokenFile: good }, 3);
    expect(fake.scaleCalls).toEqual([{ activePerLayer: 3 }]);
    const err = await adminScale({ url: fake.url, publicKey: fake.publicKey, adminTokenFile: bad }, 4).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/scale refused \(401\)/);
    expect(fake.scaleCalls).toHaveLength(1);
  });

  it("status merges the directory's view (state, score, layer, epoch) into the process list", async () => {
    const dir = tmp('mixnet-dirstatus-');
    const entry = (id: string, role: 'mix' | 'gateway', layer?: number) => ({
      id,
      role,
      ...(layer ? { layer } : {}),
      metricsUrl: 'http://127.0.0.1:1',
      logPath: join(dir, `${id}.log`),
    });
    const state: TestnetState = {
      version: 1,
      runtime: 'process',
      createdAt: new Date().toISOString(),
      layers: 2,
      nodesPerLayer: 1,
      mu: 2,
      topologyPath: join(dir, 'topology.json'),
      directory: { url: fake.url, publicKey: fake.publicKey, adminTokenFile: join(dir, 'none') },
      processes: [
        entry('mix-1-1', 'mix', 1),
        entry('mix-2-1', 'mix', 2),
        entry('mix-1-2', 'mix', 1),
        {
          id: 'service-provider',
          role: 'service-provider',
          metricsUrl: 'http://127.0.0.1:1',
          logPath: join(dir, 'sp.log'),
        },
      ],
    };
    writeState(dir, state);
    fake.nodes = [
      { id: 'mix-1-1', role: 'mix', kind: 'node', state: 'active', score: 1, layer: 2 },
      { id: 'mix-2-1', role: 'mix', kind: 'node', state: 'standby', score: 0.75 },
      // Not monitored: the directory lists a service provider with score null (`status` printed it with toFixed).
      { id: 'service-provider', role: 'service-provider', kind: 'service-provider', state: 'active', score: null },
    ];
    fake.status = { epoch: 7, nextEpochAt: Date.now() + 5_000, activePerLayer: 1 };
    const status = await testnetStatus(dir);
    expect(status?.epoch?.epoch).toBe(7);
    const byId = Object.fromEntries((status?.processes ?? []).map((p) => [p.id, p]));
    expect(byId['mix-1-1']).toMatchObject({ state: 'active', score: 1, liveLayer: 2, health: 'down' });
    expect(byId['mix-2-1']).toMatchObject({ state: 'standby', score: 0.75 });
    expect(byId['mix-1-2']?.state).toBeUndefined();
    expect(byId['service-provider']).toMatchObject({ state: 'active' });
    expect(byId['service-provider']?.score).toBeUndefined();

    writeState(dir, {
      ...state,
      directory: { ...(state.directory as NonNullable<TestnetState['directory']>), url: 'http://127.0.0.1:1' },
    });
    const down = await testnetStatus(dir);
    expect(down?.epoch).toBeUndefined();
    expect(down?.directoryError).toMatch(/unreachable/);
  });
});
