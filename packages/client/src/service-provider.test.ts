/**
 * The service provider against the retention attack of issue 14 #11, end to end: real clients and
 * a real HTTP upstream, over an in-process mixnet (test-support/sim-network.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hex } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type MixnetClient } from './client.js';
import { type ServiceProvider, startServiceProvider } from './service-provider.js';
import { type SimGateway, simNetwork, startSimGateway } from './test-support/sim-network.js';

const BIG = 400_000;
const MAX_RETAINED = 2_000_000;
let upstream: Server;
const upstreamCalls: { method: string; params: unknown }[] = [];
let gateway: SimGateway;
let sp: ServiceProvider;
let requester: MixnetClient;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const call = JSON.parse(body) as { id: number; method: string; params: unknown };
      upstreamCalls.push({ method: call.method, params: call.params });
      // eth_call answers 400 KB, as with the finding's state override; the rest answers small.
      const result = call.method === 'eth_call' ? `0x${'ab'.repeat(BIG / 2)}` : '0x7a69';
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, result }));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;

  const net = simNetwork(['gw-a']);
  const spSecret = ed25519.utils.randomSecretKey();
  net.topology.serviceProviders.push({
    id: 'sp',
    address: hex.encode(ed25519.getPublicKey(spSecret)),
    gateway: 'gw-a',
  });
  gateway = await startSimGateway(net, 'gw-a');
  const traffic = { cover: false, sendGapMs: 0, mu: 0 };
  sp = await startServiceProvider({
    topology: net.topology,
    gateway: 'gw-a',
    identity: spSecret,
    upstreams: [url],
    limits: { maxResponseBytes: 500_000, maxRetainedBytes: MAX_RETAINED, replyStarvedMs: 300, replyIdleMs: 2_000 },
    traffic,
  });
  requester = await createClient({ topology: net.topology, gateway: 'gw-a', traffic });
});

afterAll(async () => {
  await requester?.close({ flushMs: 0 });
  await sp?.close();
  await gateway?.close();
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
});

const call = (method: string, params: unknown[] = []) =>
  new TextEncoder().encode(JSON.stringify({ rpc: { jsonrpc: '2.0', id: 1, method, params } }));
const decode = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));

describe('service provider retention (issue 14 #11)', () => {
  it('refuses a state override end to end, forwarding nothing', async () => {
    const override = { '0x0000000000000000000000000000000000000001': { code: '0x6000' } };
    const answer = decode(await requester.request(sp.address, call('eth_call', [{ to: '0x01' }, 'latest', override])));
    expect(answer).toMatchObject({ error: { code: -32602 } });
    expect(upstreamCalls).toEqual([]);
  });

  it('holds at most its budget for requesters that never collect, forgets them, and still serves others', async () => {
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, sp.client.stats().retainedBytes);
    }, 2);
    // 12 requests for 400 KB each, one SURB each, abandoned after 200 ms: 4.8 MB if all were kept.
    const abandoned = Array.from({ length: 12 }, () =>
      requester.request(sp.address, call('eth_call', [{ to: '0x01' }, 'latest']), { surbs: 1, timeoutMs: 200 }).then(
        () => 'answered',
        () => 'abandoned',
      ),
    );
    await Promise.all(abandoned);
    const deadline = Date.now() + 10_000;
    while (sp.client.stats().retainedBytes > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    clearInterval(sampler);

    expect(peak).toBeGreaterThan(BIG); // it did hold replies
    expect(peak).toBeLessThanOrEqual(MAX_RETAINED);
    expect(sp.stats().busy).toBeGreaterThan(0); // the rest were told "busy" rather than held
    expect(sp.client.stats().retainedBytes).toBe(0); // all forgotten once their SURBs ran out
    expect(sp.client.stats().requestsExpired).toBeGreaterThan(0);
    expect(upstreamCalls.filter((c) => c.method === 'eth_call').length).toBeLessThan(12);

    const chainId = decode(await requester.request(sp.address, call('eth_chainId')));
    expect(chainId).toMatchObject({ result: '0x7a69' });
  });
});
