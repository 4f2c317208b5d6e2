/**
 * `mixnet relay-tx`: a signed transfer from a dev account, sent to the chain through the mixnet
 * (viem → mixnetTransport → service provider → JSON-RPC), its receipt read back the same way.
 */
import { mixnetTransport } from '@mixnet/client';
import { DEV_ACCOUNT_PRIVATE_KEY } from '@mixnet/testnet';
import type { Command } from 'commander';
import { createPublicClient, createWalletClient, defineChain, formatEther, isAddress, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { connectClient, type NetworkFlags, networkOptions, resolveNetwork } from '../network-client.js';
import { CliError, printJson, usageError, withSlowNotice } from '../output.js';

interface RelayFlags {
  to: string;
  value: string;
  privateKey?: string;
  serviceProvider?: string;
  json?: boolean;
}

/** Hardhat's second dev account: a recipient that exists on every fresh devnet. */
const DEFAULT_TO = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

export function registerRelayTx(program: Command): void {
  networkOptions(
    program
      .command('relay-tx')
      .description('sign a transfer with a dev account, relay it through the mixnet, and read its receipt back')
      .option('--to <address>', 'recipient', DEFAULT_TO)
      .option('--value <eth>', 'amount in ETH', '0.01')
      .option('--private-key <hex>', 'sender key (default: hardhat dev account #0)')
      .option(
        '--service-provider <id>',
        "the service provider's id (default: the testnet's, else the network's first)",
      ),
  )
    .option('--json', 'machine-readable output')
    .action(async (f: NetworkFlags & RelayFlags) => {
      const net = resolveNetwork(f);
      const state = net.state;
      if (!net.directory && !state?.serviceProvider && !f.serviceProvider)
        throw new CliError('this testnet has no service provider (it was started with --chain none)');
      if (!isAddress(f.to)) throw usageError(`--to must be a 0x address, got "${f.to}"`);
      let value: bigint;
      try {
        value = parseEther(f.value);
      } catch {
        throw usageError(`--value must be an amount in ETH, got "${f.value}"`);
      }
      const client = await connectClient(net);
      try {
        const serviceProvider =
          f.serviceProvider ?? state?.serviceProvider?.id ?? client.topology.serviceProviders[0]?.id;
        if (!serviceProvider) throw new CliError('the network lists no service provider (pass --service-provider)');
        const transport = mixnetTransport({ client, serviceProvider });
        const reader = createPublicClient({ transport, pollingInterval: 250 });
        const chainId = await reader.getChainId();
        const chain = defineChain({
          id: chainId,
          name: 'mixnet devnet',
          nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
          rpcUrls: { default: { http: [state?.chainUrl ?? 'http://mixnet'] } },
        });
        const account = privateKeyToAccount((f.privateKey as `0x${string}` | undefined) ?? DEV_ACCOUNT_PRIVATE_KEY);
        const wallet = createWalletClient({ account, chain, transport });
        const publicClient = createPublicClient({ chain, transport, pollingInterval: 250 });
        const before = await publicClient.getBalance({ address: f.to });
        const started = performance.now();
        const hash = await withSlowNotice(
          wallet.sendTransaction({ to: f.to, value }),
          'signing and sending through the mixnet (each JSON-RPC call is a round trip through every layer)…',
        );
        const sentMs = performance.now() - started;
        const receipt = await withSlowNotice(
          publicClient.waitForTransactionReceipt({ hash, timeout: 120_000 }),
          `sent ${hash.slice(0, 10)}…; waiting for its receipt, polled through the mixnet…`,
        );
        const totalMs = performance.now() - started;
        const after = await publicClient.getBalance({ address: f.to });
        const layers = client.topology.layers.length;
        const out = {
          from: account.address,
          to: f.to,
          value: f.value,
          hash,
          status: receipt.status,
          blockNumber: Number(receipt.blockNumber),
          gasUsed: Number(receipt.gasUsed),
          balanceBefore: formatEther(before),
          balanceAfter: formatEther(after),
          route: `client → gateway → ${Array.from({ length: layers }, (_, i) => `mix L${i + 1}`).join(' → ')} → gateway → service provider → chain`,
          hops: layers + 1,
          sendLatencyMs: Math.round(sentMs),
          receiptLatencyMs: Math.round(totalMs),
          clientStats: client.stats(),
        };
        if (f.json) printJson(out);
        else {
          process.stdout.write(
            [
              `route:    ${out.route} (${out.hops} Sphinx hops each way, replies in SURBs)`,
              `tx:       ${hash}  ${f.value} ETH ${account.address} → ${f.to}`,
              `receipt:  ${receipt.status} in block ${out.blockNumber}, gas ${out.gasUsed}`,
              `balance:  ${out.balanceBefore} → ${out.balanceAfter} ETH`,
              `latency:  sent in ${out.sendLatencyMs} ms, receipt after ${out.receiptLatencyMs} ms`,
              '',
            ].join('\n'),
          );
        }
        if (receipt.status !== 'success') throw new CliError(`transaction ${hash} reverted`);
      } finally {
        await client.close({ flushMs: 0 });
      }
    });
}
