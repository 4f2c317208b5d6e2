/**
 * Gateway failover on real relays (@mixnet/node mixes and gateways in this process), driven by a
 * test directory: a client whose gateway dies or leaves the active set moves to another one, and
 * what it had in flight (sends, requests) completes exactly once.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Topology, TopologyGateway, TopologyNode } from '@mixnet/sphinx/wire';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ClientEvent, type ClientOptions, createClient, type MixnetClient } from './client.js';
import { type ServiceProvider, startServiceProvider } from './service-provider.js';
import { startTestDirectory, type TestDirectory } from './test-support/directory.js';
import { type RunningGateway, type RunningRelay, startGateway, startMix } from './test-support/relays.js';

const TRAFFIC = { mu: 2, cover: false, sendGapMs: 0, ackWaitAdditionMs: 400, maxAttempts: 40 };
const REFRESH = { intervalMs: 60_000, retryMs: 50, maxRetryMs: 200, jitterMs: 10 };

async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

describe('gateway failover (real relays, a test directory)', () => {
  let mixes: RunningRelay<TopologyNode>[];
  let dir: TestDirectory;
  let epoch = 0;
  let gws: RunningGateway[] = [];
  const clients: MixnetClient[] = [];
  const providers: ServiceProvider[] = [];

  beforeAll(async () => {
    mixes = await Promise.all([startMix('mix-1', 1), startMix('mix-2', 2), startMix('mix-3', 3)]);
    dir = await startTestDirectory();
  });
  afterAll(async () => {
    await Promise.all(mixes.map((m) => m.stop()));
    await dir.stop();
  });
  afterEach(async () => {
    await Promise.all(providers.splice(0).map((p) => p.close()));
    await Promise.all(clients.splice(0).map((c) => c.close({ flushMs: 0 })));
    await Promise.all(gws.splice(0).map((g) => g.stop().catch(() => {})));
  });

  /** Publishes the next epoch over the mixes and `gateways`; the first one ends soon, so clients ask again. */
  const publish = (gateways: TopologyGateway[], validMs = 60_000): Topology => {
    const topology = { layers: mixes.map((m) => [m.entry]), gateways, serviceProviders: [] };
    dir.publish(topology, { epoch: ++epoch, validMs });
    return topology;
  };

  const client = async (gateway: string, extra: Partial<ClientOptions> = {}) => {
    const c = await createClient({
      directory: { url: dir.url, publicKey: dir.publicKey },
      refresh: REFRESH,
      gateway,
      traffic: TRAFFIC,
      failover: { afterMs: 1_000 },
      ...extra,
    });
    clients.push(c);
    return c;
  };

  const twoGateways = async () => {
    gws = [await startGateway('gw-a'), await startGateway('gw-b')];
    return gws as [RunningGateway, RunningGateway];
  };

  it('a send and a request started before the gateway dies complete exactly once via the other gateway', async () => {
    const [a, b] = await twoGateways();
    publish([a.entry, b.entry], 500); // clients look again in 0.5 s
    const events: ClientEvent[] = [];
    const sender = await client('gw-a', { onEvent: (e) => events.push(e) });
    const receiver = await client('gw-b');
    expect(sender.address.endsWith('@gw-a')).toBe(true);

    const got: string[] = [];
    const asked: string[] = [];
    receiver.onMessage(({ data, reply }) => {
      if (reply) {
        asked.push(text(data));
        void reply(bytes(`answer to ${text(data)}`));
      } else got.push(text(data));
    });
    const message = 'x'.repeat(20_000); // about ten fragments
    const sent = sender.send(receiver.address, bytes(message));
    const requested = sender.request(receiver.address, bytes('question'), { timeoutMs: 40_000 });
    // The gateway dies with both in flight; the directory's next epoch leaves it out.
    await a.stop();
    publish([b.entry]);

    const result = await sent;
    expect(result.fragments).toBeGreaterThan(5);
    expect(text(await requested)).toBe('answer to question');
    expect(sender.address.endsWith('@gw-b')).toBe(true);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'gateway-changed', from: 'gw-a', to: 'gw-b', address: sender.address }),
    );
    await new Promise((r) => setTimeout(r, 1_000)); // room for late duplicates to show up
    expect(got).toEqual([message]);
    expect(asked).toEqual(['question']);
    expect(sender.topology.gateways.map((g) => g.id)).toEqual(['gw-b']);
    // Each event reaches a listener once (the start's and the later ones alike).
    expect(events.filter((e) => e.type === 'gateway-changed')).toHaveLength(1);
    const epochs = events.flatMap((e) => (e.type === 'topology' ? [JSON.stringify(e)] : []));
    expect(new Set(epochs).size).toBe(epochs.length);
  });

  it('moves when its gateway leaves the active set though it still runs, and is reachable at its new address', async () => {
    const [a, b] = await twoGateways();
    publish([a.entry, b.entry], 500);
    const moved: ClientEvent[] = [];
    const mover = await client('gw-a', { onEvent: (e) => e.type === 'gateway-changed' && moved.push(e) });
    const other = await client('gw-b');
    publish([b.entry]);
    await waitFor('the move', () => moved.length === 1);
    expect(moved[0]).toMatchObject({ from: 'gw-a', to: 'gw-b', reason: 'left-topology' });
    const got: string[] = [];
    mover.onMessage(({ data }) => got.push(text(data)));
    await other.send(mover.address, bytes('to the new address'));
    await waitFor('delivery', () => got.length === 1);
    expect(got).toEqual(['to the new address']);
  });

  it('moves when its gateway stays down though the directory still lists it', async () => {
    const [a, b] = await twoGateways();
    publish([a.entry, b.entry]);
    const moved: ClientEvent[] = [];
    const c = await client('gw-a', { onEvent: (e) => e.type === 'gateway-changed' && moved.push(e) });
    const started = performance.now();
    await a.stop();
    await waitFor('the move', () => moved.length === 1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900); // not before failover.afterMs
    expect(moved[0]).toMatchObject({ from: 'gw-a', to: 'gw-b', reason: 'unreachable' });
    await c.send(c.address, bytes('self'));
  });

  it('a gateway restart within the failover delay: the client stays, and what came meanwhile arrives once', async () => {
    const [a, b] = await twoGateways();
    publish([a.entry, b.entry]);
    const moved: ClientEvent[] = [];
    const receiver = await client('gw-a', {
      failover: { afterMs: 15_000 },
      onEvent: (e) => e.type === 'gateway-changed' && moved.push(e),
    });
    const sender = await client('gw-b');
    const got: string[] = [];
    receiver.onMessage(({ data }) => got.push(text(data)));
    const restarted = a.restart(1_000);
    await waitFor('the receiver to notice', () => !receiver.connected);
    const sent = sender.send(receiver.address, bytes('sent while it restarted'));
    await restarted;
    await sent;
    await waitFor('delivery', () => got.length === 1);
    await new Promise((r) => setTimeout(r, 1_000)); // room for a late duplicate
    expect(got).toEqual(['sent while it restarted']);
    expect(moved).toEqual([]);
    expect(receiver.address.endsWith('@gw-a')).toBe(true);
  }, 40_000);

  it('hands over: what reached the old gateway after the move is taken from its mailbox when it is back, once', async () => {
    const [a, b] = await twoGateways();
    publish([a.entry, b.entry]);
    const moved: ClientEvent[] = [];
    const receiver = await client('gw-a', { onEvent: (e) => e.type === 'gateway-changed' && moved.push(e) });
    const sender = await client('gw-b');
    const oldAddress = receiver.address;
    const got: string[] = [];
    receiver.onMessage(({ data }) => got.push(text(data)));
    // gw-a restarts slower than the receiver's failover: the receiver moves to gw-b meanwhile.
    const restarted = a.restart(2_500);
    await waitFor('the move', () => moved.length === 1);
    expect(receiver.address.endsWith('@gw-b')).toBe(true);
    // Sent to the address the sender knew: it reaches gw-a only once gw-a is back, into its mailbox.
    const sent = sender.send(oldAddress, bytes('to the old address'));
    await restarted;
    await sent;
    await waitFor('the hand-over', () => got.length === 1);
    await new Promise((r) => setTimeout(r, 1_000)); // room for a late duplicate
    expect(got).toEqual(['to the old address']);
    expect(sender.topology.gateways.map((g) => g.id)).toEqual(['gw-a', 'gw-b']);
  }, 40_000);

  it('a message to an old address whose gateway the document no longer lists is sent, and handed over', async () => {
    const [a, b] = await twoGateways();
    publish([a.entry, b.entry], 500);
    const moved: ClientEvent[] = [];
    const receiver = await client('gw-a', { onEvent: (e) => e.type === 'gateway-changed' && moved.push(e) });
    const sender = await client('gw-b');
    const oldAddress = receiver.address;
    const got: string[] = [];
    receiver.onMessage(({ data }) => got.push(text(data)));
    publish([b.entry]);
    await waitFor('the move', () => moved.length === 1);
    await waitFor('the sender to see the new document', () => sender.topology.gateways.length === 1);
    await sender.send(oldAddress, bytes('to an address of the last epoch'));
    await waitFor('delivery', () => got.length === 1);
    await new Promise((r) => setTimeout(r, 500)); // room for a late duplicate
    expect(got).toEqual(['to an address of the last epoch']);
  }, 30_000);

  it('without a directory and failover, a client stays with its gateway (the offline behaviour)', async () => {
    const [a, b] = await twoGateways();
    const topology = { layers: mixes.map((m) => [m.entry]), gateways: [a.entry, b.entry], serviceProviders: [] };
    const c = await createClient({ topology, gateway: 'gw-a', traffic: TRAFFIC });
    clients.push(c);
    await a.stop();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(c.address.endsWith('@gw-a')).toBe(true);
    expect(c.connected).toBe(false);
  });

  describe('a service provider with a directory', () => {
    let upstream: Server;
    let upstreamUrl: string;
    const calls: string[] = [];

    beforeAll(async () => {
      upstream = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const call = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          calls.push(`${call.method}:${JSON.stringify(call.params)}`);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, result: `0x${calls.length.toString(16)}` }));
        });
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

    it('registers its gateway, moves and re-registers when it dies; a request in flight runs upstream once', async () => {
      const [a, b] = await twoGateways();
      const first = publish([a.entry, b.entry], 500);
      const sp = await startServiceProvider({
        directory: { url: dir.url, publicKey: dir.publicKey, announceMs: 60_000 },
        id: 'sp',
        gateway: 'gw-a',
        upstreams: [upstreamUrl],
        traffic: TRAFFIC,
      });
      providers.push(sp);
      expect(dir.descriptors.at(-1)).toMatchObject({ kind: 'service-provider', id: 'sp', gateway: 'gw-a' });
      dir.publish(first, { epoch: ++epoch, validMs: 500 }); // now listing sp behind gw-a
      const c = await client('gw-b');
      await waitFor('sp in the topology', () => c.topology.serviceProviders.some((s) => s.id === 'sp'));

      const rpc = (method: string, params: unknown[]) =>
        c
          .request('sp', bytes(JSON.stringify({ rpc: { jsonrpc: '2.0', id: 1, method, params } })), {
            timeoutMs: 40_000,
          })
          .then((r) => JSON.parse(text(r)));
      expect((await rpc('eth_blockNumber', [])).result).toBeDefined();

      const inFlight = rpc('eth_sendRawTransaction', ['0xfeed']);
      await a.stop();
      publish([b.entry], 500); // sp is left out until it registers again
      await waitFor('the provider to re-register behind gw-b', () =>
        dir.descriptors.some((d) => d.kind === 'service-provider' && d.gateway === 'gw-b'),
      );
      expect(sp.address.endsWith('@gw-b')).toBe(true);
      publish([b.entry]); // lists sp behind gw-b
      const answer = await inFlight;
      expect(answer.result).toMatch(/^0x/);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(calls.filter((x) => x === 'eth_sendRawTransaction:["0xfeed"]')).toHaveLength(1);
    });
  });
});
