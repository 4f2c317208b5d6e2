import type { Topology } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTopologySource,
  DirectoryUnavailableError,
  parseDirectoryOptions,
  type TopologyEvent,
  type TopologyFeed,
  type TopologyRefreshOptions,
} from './directory-source.js';
import { ClientOptionsError } from './options.js';
import { startTestDirectory, type TestDirectory, testDocument } from './test-support/directory.js';
import { testTopology } from './test-support/topology.js';

const FAST = { retryMs: 20, maxRetryMs: 100, jitterMs: 10, timeoutMs: 2_000, startTimeoutMs: 1_000 };

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('createTopologySource with a directory', () => {
  const open: { feed?: TopologyFeed; dir?: TestDirectory }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      o.feed?.close();
      await o.dir?.stop();
    }
  });

  async function setup(opts: { refresh?: Partial<TopologyRefreshOptions>; publish?: boolean } = {}) {
    const dir = await startTestDirectory();
    const topo = testTopology();
    if (opts.publish !== false) dir.publish(topo, { epoch: 1 });
    const events: TopologyEvent[] = [];
    const entry: { feed?: TopologyFeed; dir?: TestDirectory } = { dir };
    open.push(entry);
    const feed = await createTopologySource({
      directory: { url: dir.url, publicKey: dir.publicKey },
      refresh: { ...FAST, intervalMs: 60_000, ...opts.refresh },
      onEvent: (e) => events.push(e),
    });
    entry.feed = feed;
    return { dir, topo, feed, events };
  }

  it('verifies the first document and answers later fetches from the ETag (304)', async () => {
    const { dir, topo, feed, events } = await setup();
    expect(feed.kind).toBe('directory');
    expect(feed.epoch).toBe(1);
    expect(feed.topology.gateways.map((g) => g.id)).toEqual(topo.gateways.map((g) => g.id));
    expect(events).toEqual([{ type: 'topology', epoch: 1, previousEpoch: undefined, stale: false }]);
    await feed.refresh();
    await feed.refresh();
    expect(dir.requests.notModified).toBe(2);
    expect(feed.stats()).toMatchObject({ fetches: 3, accepted: 1, notModified: 2, failures: 0 });
  });

  it('fetches again just after the epoch ends, not before, and switches to the new document', async () => {
    const { dir, topo, feed, events } = await setup({ refresh: { intervalMs: 60_000 } });
    const next = testTopology();
    // Epoch 1 ends in 1.5 s; epoch 2 is already published (the source must not ask before then).
    dir.publish(topo, { epoch: 1, validMs: 1_500 });
    await feed.refresh(); // learn the short validity
    const fetchesBefore = dir.requests.topology;
    dir.publish(next, { epoch: 2 });
    await new Promise((r) => setTimeout(r, 500));
    expect(feed.epoch).toBe(1); // nothing asked mid-epoch
    expect(dir.requests.topology).toBe(fetchesBefore);
    await waitFor('epoch 2', () => feed.epoch === 2);
    expect(feed.topology.gateways[0]?.id).toBe(next.gateways[0]?.id);
    expect(feed.topology.layers[0]?.[0]?.sphinxKey).toBe(next.layers[0]?.[0]?.sphinxKey);
    expect(events.at(-1)).toEqual({ type: 'topology', epoch: 2, previousEpoch: 1, stale: false });
  });

  it('keeps asking after a boundary until the directory publishes, then switches', async () => {
    const { dir, topo, feed } = await setup();
    dir.publish(topo, { epoch: 1, validMs: 100 });
    await feed.refresh();
    await new Promise((r) => setTimeout(r, 400)); // past the boundary, nothing new yet
    expect(feed.epoch).toBe(1);
    dir.publish(testTopology(), { epoch: 2 });
    await waitFor('epoch 2', () => feed.epoch === 2, 2_000);
  });

  it('refuses a document signed by another key and keeps the last good one', async () => {
    const { dir, topo, feed, events } = await setup();
    dir.publish(testTopology(), { epoch: 2, secret: ed25519.utils.randomSecretKey() });
    await feed.refresh();
    expect(feed.epoch).toBe(1);
    expect(feed.topology.gateways[0]?.id).toBe(topo.gateways[0]?.id);
    expect(feed.topology.layers[0]?.[0]?.sphinxKey).toBe(topo.layers[0]?.[0]?.sphinxKey);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'document-refused', code: 'BAD_SIGNATURE', epoch: 1 }),
    );
    expect(events).toContainEqual(expect.objectContaining({ type: 'directory-unreachable', epoch: 1 }));
    expect(feed.reachable).toBe(false);
    expect(feed.stats().refused).toEqual({ BAD_SIGNATURE: 1 });
  });

  it('refuses a document whose epoch goes backwards', async () => {
    const { dir, feed, events } = await setup();
    dir.publish(testTopology(), { epoch: 3 });
    await feed.refresh();
    expect(feed.epoch).toBe(3);
    dir.publish(testTopology(), { epoch: 2 });
    await feed.refresh();
    expect(feed.epoch).toBe(3);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'document-refused', code: 'EPOCH_BACKWARDS', epoch: 3 }),
    );
  });

  it('takes a re-signed document of the same epoch (a provider moved mid-epoch)', async () => {
    const { dir, topo, feed } = await setup();
    const sp = topo.serviceProviders[0] as Topology['serviceProviders'][number];
    const moved = { ...topo, serviceProviders: [{ ...sp, gateway: 'gw1' }] };
    dir.publish(moved, { epoch: 1 });
    await feed.refresh();
    expect(feed.topology.serviceProviders[0]?.gateway).toBe('gw1');
  });

  it('says once when the directory is unreachable, keeps the document, and says when it is back', async () => {
    const { dir, topo, feed, events } = await setup({ refresh: { intervalMs: 60_000, maxRetryMs: 50 } });
    await dir.stop();
    await feed.refresh();
    await new Promise((r) => setTimeout(r, 300)); // several retries
    const outages = events.filter((e) => e.type === 'directory-unreachable');
    expect(outages).toHaveLength(1);
    expect(outages[0]).toMatchObject({ epoch: 1 });
    expect(feed.stats().failures).toBeGreaterThan(1);
    expect(feed.reachable).toBe(false);
    expect(feed.epoch).toBe(1);
    expect(feed.topology.gateways[0]?.id).toBe(topo.gateways[0]?.id);
    expect(feed.stale).toBe(false);
    await dir.start();
    dir.publish(testTopology(), { epoch: 2 });
    await waitFor('epoch 2 after the outage', () => feed.epoch === 2);
    expect(feed.reachable).toBe(true);
    expect(events.map((e) => e.type)).toContain('directory-reachable');
  });

  it('reports a document that ended more than one epoch ago as stale, and keeps using it', async () => {
    const dir = await startTestDirectory();
    dir.publish(testTopology(), { epoch: 2, validMs: 1_000 });
    let skew = 0;
    const feed = await createTopologySource({
      directory: { url: dir.url, publicKey: dir.publicKey },
      refresh: FAST,
      now: () => Date.now() + skew,
    });
    open.push({ feed, dir });
    expect(feed.stale).toBe(false);
    skew = 2_500; // past validUntil + epochMs
    expect(feed.stale).toBe(true);
    expect(feed.epoch).toBe(2);
  });

  it('waits for the first epoch (404 NO_EPOCH) and then starts', async () => {
    const dir = await startTestDirectory();
    open.push({ dir });
    setTimeout(() => dir.publish(testTopology(), { epoch: 0 }), 200);
    const feed = await createTopologySource({
      directory: { url: dir.url, publicKey: dir.publicKey },
      refresh: { ...FAST, startTimeoutMs: 5_000 },
    });
    open.push({ feed });
    expect(feed.epoch).toBe(0);
  });

  it('fails to start without a document or a fallback, naming the reason', async () => {
    const dir = await startTestDirectory();
    open.push({ dir });
    const err = await createTopologySource({
      directory: { url: dir.url, publicKey: dir.publicKey },
      refresh: { ...FAST, startTimeoutMs: 300 },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(DirectoryUnavailableError);
    expect(err.message).toMatch(/not published an epoch/);
  });

  it('starts on the fallback topology when the directory is down, and moves to the directory later', async () => {
    const dir = await startTestDirectory();
    await dir.stop();
    const fallback = testTopology();
    const events: TopologyEvent[] = [];
    const feed = await createTopologySource({
      directory: { url: dir.url, publicKey: dir.publicKey },
      topology: fallback,
      refresh: { ...FAST, maxRetryMs: 50 },
      onEvent: (e) => events.push(e),
    });
    open.push({ feed, dir });
    expect(feed.epoch).toBeUndefined();
    expect(feed.topology.gateways[0]?.id).toBe(fallback.gateways[0]?.id);
    expect(events[0]).toMatchObject({ type: 'directory-unreachable', epoch: undefined });
    await dir.start();
    const later = testTopology([1, 1, 1], 3);
    dir.publish(later, { epoch: 5 });
    await waitFor('the directory document', () => feed.epoch === 5);
    expect(feed.topology.gateways).toHaveLength(3);
  });

  it('refuses an oversize answer without reading it all', async () => {
    const { dir, feed, events } = await setup();
    dir.serveRaw('x'.repeat(2 * 1024 * 1024));
    await feed.refresh();
    expect(feed.epoch).toBe(1);
    expect(events).toContainEqual(expect.objectContaining({ type: 'directory-unreachable', epoch: 1 }));
  });

  it('turns any answer into a typed refusal or failure, never a crash, and keeps the last good document', async () => {
    const { dir, topo, feed } = await setup();
    // Signed by the pinned key: any change to its text must break the signature.
    const good = dir.sign(testDocument(topo, 9));
    const hexChar = fc.constantFrom(...'0123456789abcdef');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc
            .record({ document: fc.string(), signature: fc.string({ unit: hexChar, minLength: 128, maxLength: 128 }) })
            .map((r) => JSON.stringify(r)),
          fc
            .tuple(fc.nat(good.document.length - 1), fc.string({ minLength: 1, maxLength: 1 }))
            .filter(([i, c]) => good.document[i] !== c)
            .map(([i, c]) =>
              JSON.stringify({ ...good, document: good.document.slice(0, i) + c + good.document.slice(i + 1) }),
            ),
        ),
        async (body) => {
          dir.serveRaw(body);
          await feed.refresh();
          expect(feed.epoch).toBe(1);
          expect(feed.topology.gateways[0]?.id).toBe(topo.gateways[0]?.id);
        },
      ),
      { numRuns: 150 },
    );
    const refused = feed.stats().refused;
    expect(Object.keys(refused).every((c) => ['MALFORMED', 'BAD_SIGNATURE', 'OVERSIZE'].includes(c))).toBe(true);
  });
});

describe('parseDirectoryOptions', () => {
  it('names the bad field', () => {
    expect(() => parseDirectoryOptions({ url: 'ftp://x', publicKey: 'aa'.repeat(32) })).toThrow(/directory\.url/);
    expect(() => parseDirectoryOptions({ url: 'http://x', publicKey: 'zz' })).toThrow(/directory\.publicKey/);
    expect(() => parseDirectoryOptions({ url: 'http://x', publicKey: new Uint8Array(31) })).toThrow(ClientOptionsError);
    expect(parseDirectoryOptions({ url: 'http://x:1/', publicKey: 'AA'.repeat(32) }).url).toBe('http://x:1');
  });
});

describe('createTopologySource without a directory', () => {
  it('serves a fixed topology offline', async () => {
    const topo = testTopology();
    const feed = await createTopologySource({ topology: topo });
    expect(feed.kind).toBe('static');
    expect(feed.topology.layers).toHaveLength(3);
    await feed.refresh();
    expect(feed.reachable).toBe(true);
  });
});
