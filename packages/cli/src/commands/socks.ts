/**
 * `mixnet socks --listen 127.0.0.1:1080`: a local SOCKS5/SOCKS4/SOCKS4a proxy whose every
 * connection is carried through the mixnet to a network requester (packages/socks). Any
 * application with a SOCKS setting (curl, wallets, browsers) goes through the mixnet with it.
 */
import { createStreamClient, requesterAddress, startSocksServer } from '@mixnet/socks';
import type { Command } from 'commander';
import { connectClient, type NetworkFlags, networkOptions, resolveNetwork } from '../network-client.js';
import { CliError, parseDuration, parseIntFlag, progress, usageError } from '../output.js';

interface SocksFlags {
  listen: string;
  requester?: string;
  openTimeout: string;
  sendGap?: string;
  quiet?: boolean;
}

/** `host:port`, `[v6]:port` or a bare port (on 127.0.0.1). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535)
    throw usageError(`--listen must be host:port (e.g. 127.0.0.1:1080), got "${text}"`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

export function registerSocks(program: Command): void {
  networkOptions(
    program
      .command('socks')
      .description('a local SOCKS5/4a proxy: every connection goes through the mixnet to a network requester')
      .option('--listen <host:port>', 'where the proxy listens', '127.0.0.1:1080')
      .option('--requester <id|address>', "the network requester's id or address (default: the network's)")
      .option('--open-timeout <duration>', 'how long the mixnet has to answer a CONNECT (then reply 0x06)', '60s')
      .option('--send-gap <ms>', 'mean gap of the Poisson send stream (client default 20)'),
  )
    .option('--quiet', 'no line per connection')
    .action(async (f: NetworkFlags & SocksFlags) => {
      const listen = parseListen(f.listen);
      const openTimeoutMs = parseDuration(f.openTimeout, '--open-timeout');
      const sendGapMs =
        f.sendGap === undefined ? undefined : parseIntFlag(f.sendGap, '--send-gap', { min: 1, max: 1000 });
      const net = resolveNetwork(f);
      const client = await connectClient(net, sendGapMs ? { sendGapMs } : {});
      const requester =
        f.requester ??
        net.state?.networkRequester?.id ??
        client.topology.serviceProviders.find((s) => s.id.startsWith('network-requester'))?.id;
      if (!requester) {
        await client.close({ flushMs: 0 });
        throw new CliError('the network lists no network requester (pass --requester)');
      }
      const streams = createStreamClient({ client, requester: requesterAddress(client, requester) });
      const log = (line: string) => {
        if (!f.quiet) process.stderr.write(`${new Date().toISOString().slice(11, 23)}  ${line}\n`);
      };
      let server: Awaited<ReturnType<typeof startSocksServer>>;
      try {
        server = await startSocksServer({
          streams,
          ...listen,
          openTimeoutMs,
          onEvent: (e) => {
            if (e.type === 'opened') log(`SOCKS${e.version} ${e.host}:${e.port} connected in ${Math.round(e.ms)} ms`);
            else if (e.type === 'refused')
              log(
                `SOCKS${e.version} ${e.host}:${e.port} refused: 0x${e.code.toString(16).padStart(2, '0')}${
                  e.code === 0x06 ? ` (no answer through the mixnet: ${streams.stats().lastError ?? 'timeout'})` : ''
                }`,
              );
            else if (e.type === 'bad-handshake') log(`bad SOCKS handshake: ${e.message}`);
          },
        });
      } catch (err) {
        streams.close();
        await client.close({ flushMs: 0 });
        throw new CliError(`cannot listen on ${f.listen}: ${(err as Error).message}`);
      }
      const where = `${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`;
      process.stdout.write(`SOCKS5/4a proxy on ${where} through ${requester} (client ${client.address})\n`);
      progress(`try: curl --socks5-hostname ${where} http://…  (Ctrl-C stops)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      streams.close();
      await client.close({ flushMs: 1_000 });
    });
}
