/**
 * A packed testnet on real processes (issue 16): 10 relays as 2 node hosts of 5
 * (`mixnet run host`), each node with its own ports, keys and health, relays a viem transaction
 * to hardhat; killing one hosted node takes its host along and says so.
 *
 * MIXNET_PACKED_NYM=1 runs the same test on Nym's shape, 170 relays (3 × 40 active + 40 standby +
 * 10 gateways, 20 s epochs, default packing: 5 hosts of 34): too heavy for CI on 2 cores, run by hand.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type MixnetClient, mixnetTransport } from '@mixnet/client';
import { createPublicClient, createWalletClient, defineChain, http, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_ACCOUNT_PRIVATE_KEY } from './chain.js';
import { clientNetwork } from './client-network.js';
import { healthOf } from './health.js';
import type { TestnetState } from './layout.js';
import { controlNode } from './node-control.js';
import { isAlive } from './process-runtime.js';
import { downTestnet, upTestnet } from './testnet.js';

const relays = (s: TestnetState) => s.processes.filter((p) => p.role === 'mix' || p.role === 'gateway');
const RECIPIENT = '0x90F79bf6EB2c4f870365E785982E1f101E93b906' as const;
const chain = defineChain({
  id: 31337,
  name: 'devnet',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: ['http://unused'] } },
});

const NYM = process.env.MIXNET_PACKED_NYM === '1';
const plan = NYM
  ? { nodesPerLayer: 40, standby: 40, gateways: 10, epochMs: 20_000, nodesPerProcess: 'auto' as const }
  : { nodesPerLayer: 2, standby: 2, gateways: 2, epochMs: 5_000, nodesPerProcess: 5 };
const relayCount = 3 * plan.nodesPerLayer + plan.standby + plan.gateways;
const hostCount = NYM ? 5 : 2;

describe(`a packed testnet: ${hostCount} node hosts × ${relayCount / hostCount} relays`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-packed-'));
  let state: TestnetState;
  let client: MixnetClient;

  beforeAll(async () => {
    state = await upTestnet({
      dir,
      layers: 3,
      ...plan,
      mu: 5,
      logLevel: 'warn',
      ...(NYM ? { timeoutMs: 180_000 } : {}),
    });
    client = await createClient({ ...clientNetwork(state), traffic: { mu: 5 } });
  }, 300_000);
  afterAll(async () => {
    await client?.close({ flushMs: 0 });
    await downTestnet(dir);
  });

  it(`runs the ${relayCount} relays in ${hostCount} processes, each node answering its own health`, async () => {
    const relays = state.processes.filter((p) => p.role === 'mix' || p.role === 'gateway');
    expect(relays).toHaveLength(relayCount);
    expect(new Set(relays.map((p) => p.pid)).size).toBe(hostCount);
    expect(state.hosts?.map((h) => h.id)).toEqual(Array.from({ length: hostCount }, (_, i) => `host-${i + 1}`));
    const ports = new Set(relays.map((p) => p.metricsUrl));
    expect(ports.size).toBe(relayCount);
    // A host of 34 busy starting up may miss one 1.5 s health probe: each node gets a few seconds.
    for (const p of relays) {
      const deadline = Date.now() + (NYM ? 15_000 : 0);
      let h = await healthOf(p);
      while (h !== 'up' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        h = await healthOf(p);
      }
      expect(h, p.id).toBe('up');
    }
  });

  it('relays a transaction', async () => {
    const transport = mixnetTransport({ client, serviceProvider: 'service-provider' });
    const wallet = createWalletClient({ account: privateKeyToAccount(DEV_ACCOUNT_PRIVATE_KEY), chain, transport });
    const reader = createPublicClient({ chain, transport, pollingInterval: 200 });
    const direct = createPublicClient({ chain, transport: http(state.chainUrl) });
    const before = await direct.getBalance({ address: RECIPIENT });
    const hash = await wallet.sendTransaction({ to: RECIPIENT, value: parseEther('0.25') });
    const receipt = await reader.waitForTransactionReceipt({ hash, timeout: 45_000 });
    expect(receipt.status).toBe('success');
    expect(await direct.getBalance({ address: RECIPIENT })).toBe(before + parseEther('0.25'));
  }, 90_000);

  it('kill of one hosted node kills its host and names every node it took along', async () => {
    const victim = state.processes.find((p) => p.host === 'host-2') as TestnetState['processes'][number];
    const pid = victim.pid;
    const r = await controlNode(dir, victim.id, 'kill');
    expect(r.host?.id).toBe('host-2');
    expect(r.host?.nodes).toHaveLength(relays(state).filter((p) => p.host === 'host-2').length);
    expect(r.host?.nodes).toContain(victim.id);
    expect(isAlive(pid)).toBe(false);
  });
});
