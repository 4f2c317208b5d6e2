/** `mixnet send --to ADDRESS --message TEXT`: one message through the mixnet, acknowledged. */
import type { Command } from 'commander';
import { connectClient, type NetworkFlags, networkOptions, resolveNetwork } from '../network-client.js';
import { printJson } from '../output.js';

export function registerSend(program: Command): void {
  networkOptions(
    program
      .command('send')
      .description('send a message through the mixnet and wait for its acknowledgement')
      .requiredOption('--to <address>', 'recipient: <identity hex>@<gateway id>, a service provider id, or "self"')
      .requiredOption('--message <text>', 'the message'),
  )
    .option('--json', 'machine-readable output')
    .action(async (f: NetworkFlags & { to: string; message: string; json?: boolean }) => {
      const client = await connectClient(resolveNetwork(f));
      try {
        const to = f.to === 'self' ? client.address : f.to;
        const result = await client.send(to, new TextEncoder().encode(f.message));
        const out = {
          from: client.address,
          to,
          hops: client.topology.layers.length + 1,
          ...result,
          latencyMs: Math.round(result.latencyMs),
        };
        if (f.json) printJson(out);
        else
          process.stdout.write(
            `delivered ${out.fragments} fragment(s) in ${out.packets} packet(s) over ${out.hops} hops, acknowledged after ${out.latencyMs} ms\n`,
          );
      } finally {
        await client.close({ flushMs: 0 });
      }
    });
}
