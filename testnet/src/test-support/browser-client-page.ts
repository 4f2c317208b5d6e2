/**
 * The browser client test's page script (bundled by bundlePageScript, viem inside): joins the
 * mixnet from the directory URL alone, asks for the block number through the EIP-1193 provider,
 * then sends a transfer with viem over mixnetTransport and waits for its receipt.
 */
import { createClient, createMixnetProvider, mixnetTransport } from '@mixnet/client/browser';
import { createPublicClient, createWalletClient, defineChain, type Hex, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

export interface PageRunOptions {
  directory: { url: string; publicKey: string };
  serviceProvider: string;
  privateKey: Hex;
  recipient: Hex;
}

export interface PageRunResult {
  blockNumber: string;
  hash: Hex;
  status: string;
  readyMs: number;
  blockNumberMs: number;
  txMs: number;
}

const chain = defineChain({
  id: 31337,
  name: 'devnet',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: ['http://unused'] } },
});

async function run(opts: PageRunOptions): Promise<PageRunResult> {
  const t0 = performance.now();
  const client = await createClient({ directory: opts.directory, traffic: { mu: 5, maxMessageSize: 64 * 1024 } });
  const readyMs = performance.now() - t0;
  try {
    const provider = createMixnetProvider({ client, serviceProvider: opts.serviceProvider });
    const t1 = performance.now();
    const blockNumber = String(await provider.request({ method: 'eth_blockNumber' }));
    const blockNumberMs = performance.now() - t1;
    const transport = mixnetTransport({ client, serviceProvider: opts.serviceProvider });
    const wallet = createWalletClient({ account: privateKeyToAccount(opts.privateKey), chain, transport });
    const reader = createPublicClient({ chain, transport, pollingInterval: 200 });
    const t2 = performance.now();
    const hash = await wallet.sendTransaction({ to: opts.recipient, value: parseEther('0.001') });
    const receipt = await reader.waitForTransactionReceipt({ hash, timeout: 60_000 });
    return { blockNumber, hash, status: receipt.status, readyMs, blockNumberMs, txMs: performance.now() - t2 };
  } finally {
    await client.close({ flushMs: 0 });
  }
}

(globalThis as { mixnetRun?: typeof run }).mixnetRun = run;
