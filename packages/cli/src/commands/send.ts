/**
 * `mixnet send --to ADDRESS --message TEXT`: one message through the mixnet, acknowledged. To
 * `self`, the message itself is shown when it comes back through every layer.
 */
import { AddressError, loadTopology, parseRecipient } from '@mixnet/client';
import type { Command } from 'commander';
import { connectClient, type NetworkFlags, networkOptions, resolveNetwork } from '../network-client.js';
import { CliError, printJson, usageError, withSlowNotice } from '../output.js';
import { describeMessage, loadOrCreateIdentity } from './receive.js';

const BACK_TIMEOUT_MS = 60_000;

export function registerSend(program: Command): void {
  networkOptions(
    program
      .command('send')
      .description('send a message through the mixnet and wait for its acknowledgement')
      .requiredOption(
        '--to <address>',
        'recipient: <identity hex>@<gateway id> (as `mixnet receive` prints it), a service provider id, or "self"',
      )
      .requiredOption('--message <text>', 'the message')
      .option('--identity <file>', 'send from the address in this key file (as `receive --identity`)'),
  )
    .option('--json', 'machine-readable output')
    .action(async (f: NetworkFlags & { to: string; message: string; identity?: string; json?: boolean }) => {
      const net = resolveNetwork(f);
      // A malformed address is a usage error, found before connecting (the gateway is checked against the network later).
      if (f.to !== 'self' && net.topologyPath) {
        try {
          parseRecipient(f.to, await loadTopology(net.topologyPath));
        } catch (err) {
          if (err instanceof AddressError) throw usageError(`--to: ${err.message}`);
          throw err;
        }
      }
      const identity = f.identity ? loadOrCreateIdentity(f.identity) : undefined;
      const client = await connectClient(net, {}, identity);
      const mu = net.state?.mu ?? 15;
      try {
        const self = f.to === 'self';
        const to = self ? client.address : f.to;
        const started = performance.now();
        const back = self
          ? new Promise<{ data: Uint8Array; ms: number }>((resolve) =>
              client.onMessage((m) => resolve({ data: m.data, ms: performance.now() - started })),
            )
          : undefined;
        const result = await withSlowNotice(
          client.send(to, new TextEncoder().encode(f.message)),
          `waiting for the acknowledgement (each hop holds a packet ${mu} ms on average)…`,
        );
        let returned: { data: Uint8Array; ms: number } | undefined;
        if (back) {
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<undefined>((r) => {
            timer = setTimeout(() => r(undefined), BACK_TIMEOUT_MS);
          });
          returned = await Promise.race([back, timeout]).finally(() => clearTimeout(timer));
          if (!returned)
            throw new CliError(`acknowledged, but the message did not come back within ${BACK_TIMEOUT_MS} ms`);
        }
        const out = {
          from: client.address,
          to,
          hops: client.topology.layers.length + 1,
          ...result,
          latencyMs: Math.round(result.latencyMs),
          ...(returned ? { received: describeMessage(returned.data), receivedAfterMs: Math.round(returned.ms) } : {}),
        };
        if (f.json) printJson(out);
        else {
          process.stdout.write(
            `delivered ${out.fragments} fragment(s) in ${out.packets} packet(s) over ${out.hops} hops, acknowledged after ${out.latencyMs} ms\n`,
          );
          if (returned) {
            const shown = describeMessage(returned.data);
            process.stdout.write(
              `received back after ${out.receivedAfterMs} ms: ${shown.text ?? `(${returned.data.length} bytes) ${shown.hex}`}\n`,
            );
          }
        }
      } finally {
        await client.close({ flushMs: 0 });
      }
    });
}
