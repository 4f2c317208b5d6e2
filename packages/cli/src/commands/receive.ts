/**
 * `mixnet receive`: a client that stays connected and prints every message as it arrives, so that
 * two shells can talk (`send --to <the address it prints>` from the other). `--identity FILE` keeps
 * the address across runs (the gateway's mailbox holds what arrives meanwhile).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { IncomingMessage } from '@mixnet/client';
import type { Command } from 'commander';
import { hint, stateArgs } from '../hints.js';
import { connectClient, type NetworkFlags, networkOptions, resolveNetwork } from '../network-client.js';
import { CliError, parseIntFlag, progress } from '../output.js';

const ACK_FLUSH_MS = 3_000;

/** The 32-byte identity key in FILE (hex), created with mode 0600 when missing. Never printed. */
export function loadOrCreateIdentity(file: string): Uint8Array {
  const path = resolve(file);
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/i.test(text)) throw new CliError(`${path}: not a 32-byte identity key in hex`);
    return Uint8Array.from(Buffer.from(text, 'hex'));
  }
  const key = crypto.getRandomValues(new Uint8Array(32));
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${Buffer.from(key).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return key;
}

/** A message for a terminal: its text when it is printable UTF-8, else its hex. */
export function describeMessage(data: Uint8Array): { text?: string; hex?: string } {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we look for
    if (!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) return { text };
  } catch {
    // not UTF-8
  }
  return { hex: Buffer.from(data).toString('hex') };
}

export function registerReceive(program: Command): void {
  networkOptions(
    program
      .command('receive')
      .alias('listen')
      .description('stay connected and print every message as it arrives (Ctrl-C stops)')
      .option(
        '--identity <file>',
        'keep the address in this key file (created, mode 0600, if missing; one process at a time)',
      )
      .option('--count <n>', 'exit after this many messages'),
  )
    .option('--json', 'one JSON object per message')
    .action(async (f: NetworkFlags & { identity?: string; count?: string; json?: boolean }) => {
      const count = f.count === undefined ? undefined : parseIntFlag(f.count, '--count', { min: 1, max: 1e9 });
      const identity = f.identity ? loadOrCreateIdentity(f.identity) : undefined;
      const client = await connectClient(resolveNetwork(f), {}, identity);
      // With a directory the client may move to another gateway: its address changes with it.
      client.onEvent((e) => {
        if (e.type === 'gateway-changed') process.stderr.write(`now listening as ${e.address}\n`);
      });
      let received = 0;
      let done: () => void = () => {};
      const finished = new Promise<void>((r) => {
        done = r;
      });
      client.onMessage((m: IncomingMessage) => {
        received++;
        const shown = describeMessage(m.data);
        const at = new Date().toISOString();
        if (f.json) process.stdout.write(`${JSON.stringify({ at, bytes: m.data.length, ...shown })}\n`);
        else process.stdout.write(`${at.slice(11, 23)}  ${shown.text ?? `(${m.data.length} bytes) ${shown.hex}`}\n`);
        if (count !== undefined && received >= count) done();
      });
      if (f.json) process.stdout.write(`${JSON.stringify({ address: client.address })}\n`);
      else {
        process.stdout.write(`listening as ${client.address}\n`);
        progress(
          `from another shell: ${hint(['send', '--to', client.address, '--message', 'hello', ...stateArgs(f.state)])}`,
        );
        progress('Ctrl-C stops');
      }
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
      await finished;
      // The acknowledgement of the last message is still in the send queue: let it leave.
      await client.close({ flushMs: ACK_FLUSH_MS });
    });
}
