/**
 * Issue 5's end-to-end checks on real processes: mixes, a gateway, the service provider and a real
 * hardhat node, with a viem wallet talking through `mixnetTransport`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createClient,
  createMixnetProvider,
  MessageTooLargeError,
  type MixnetClient,
  mixnetTransport,
  ProviderRpcError,
} from '@mixnet/client';
import { createPublicClient, createWalletClient, defineChain, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_ACCOUNT_PRIVATE_KEY } from './chain.js';
import { clientNetwork } from './client-network.js';
import { counters } from './health.js';
import type { TestnetState } from './layout.js';
import { downTestnet, upTestnet } from './testnet.js';

const RECIPIENT = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' as const;

const chain = defineChain({
  id: 31337,
  name: 'devnet',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: ['http://unused'] } },
});

/** A viem wallet and reader whose every call goes through the mixnet to the service provider. */
function viaMixnet(client: MixnetClient) {
  const transport = mixnetTransport({ client, serviceProvider: 'service-provider' });
  return {
    chain,
    wallet: createWalletClient({ account: privateKeyToAccount(DEV_ACCOUNT_PRIVATE_KEY), chain, transport }),
    reader: createPublicClient({ chain, transport, pollingInterval: 200 }),
  };
}

describe('a transaction through the mixnet (viem → mixnetTransport → service provider → hardhat)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-relay-'));
  let state: TestnetState;
  let client: MixnetClient;

  beforeAll(async () => {
    state = await upTestnet({ dir, layers: 3, mu: 5, logLevel: 'warn' });
    client = await createClient({ ...clientNetwork(state), traffic: { mu: 5, maxMessageSize: 64 * 1024 } });
  });
  afterAll(async () => {
    await client?.close({ flushMs: 0 });
    await downTestnet(dir);
  });

  it('sends a signed transfer and reads its receipt; the chain shows the balance change', async () => {
    const { chain, wallet, reader } = viaMixnet(client);
    const before = await reader.getBalance({ address: RECIPIENT });
    const hash = await wallet.sendTransaction({ to: RECIPIENT, value: parseEther('1.5') });
    const receipt = await reader.waitForTransactionReceipt({ hash, timeout: 60_000 });
    expect(receipt.status).toBe('success');

    // Read the balance straight from the chain, not through the mixnet: the chain itself changed.
    const direct = createPublicClient({ chain, transport: (await import('viem')).http(state.chainUrl) });
    expect(await direct.getBalance({ address: RECIPIENT })).toBe(before + parseEther('1.5'));
    const tx = await direct.getTransaction({ hash });
    expect(tx.from.toLowerCase()).toBe(privateKeyToAccount(DEV_ACCOUNT_PRIVATE_KEY).address.toLowerCase());
  });

  it('answers a method outside the allow-list with a clear error and forwards nothing', async () => {
    const sp = state.processes.find((p) => p.role === 'service-provider');
    if (!sp) throw new Error('no service provider');
    const forwardedBefore = (await counters(sp)).sp_forwarded ?? 0;
    const provider = createMixnetProvider({ client, serviceProvider: 'service-provider' });
    const err = await provider.request({ method: 'hardhat_setBalance', params: [RECIPIENT, '0x1'] }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderRpcError);
    expect(err.code).toBe(-32601);
    expect(err.message).toMatch(/hardhat_setBalance is not allowed/);
    const refusedUpstream = await createMixnetProvider({
      client,
      serviceProvider: 'service-provider',
      upstream: 'http://169.254.169.254/latest/meta-data',
    })
      .request({ method: 'eth_chainId' })
      .catch((e) => e);
    expect(refusedUpstream.code).toBe(-32010);
    expect(refusedUpstream.message).toMatch(/not allowed/);
    const after = await counters(sp);
    expect(after.sp_forwarded ?? 0).toBe(forwardedBefore);
    expect(after.sp_refused).toBeGreaterThanOrEqual(2);
  });

  it('refuses a message larger than the configured maximum at the sender', async () => {
    const before = client.stats().sent.real;
    await expect(client.send('service-provider', new Uint8Array(64 * 1024 + 1))).rejects.toBeInstanceOf(
      MessageTooLargeError,
    );
    await expect(client.request('service-provider', new Uint8Array(64 * 1024 + 1))).rejects.toThrow(
      /exceeds the maximum/,
    );
    expect(client.stats().sent.real).toBe(before);
  });

  it('brings a long answer back across several SURBs, asking for more when short', async () => {
    const { wallet, reader } = viaMixnet(client);
    // 8 KB of calldata: the request spans several fragments, and reading the transaction back is a
    // ~17 KB answer, more than the 4 reply SURBs a request carries.
    const data = `0x${'ab'.repeat(8000)}` as const;
    const hash = await wallet.sendTransaction({ to: RECIPIENT, data });
    await reader.waitForTransactionReceipt({ hash, timeout: 60_000 });
    const repliesBefore = client.stats().received.replies;
    const tx = await reader.getTransaction({ hash });
    expect(tx.input).toBe(data);
    // ≥ 9 reply packets came back for one request that carried 4 SURBs: the top-up path worked.
    expect(client.stats().received.replies - repliesBefore).toBeGreaterThanOrEqual(9);
  });
});
