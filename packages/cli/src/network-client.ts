/**
 * A client of the network the commands talk through: the testnet named by `--state` (its directory
 * when it runs one, else its topology file), or a remote network's directory given by
 * `--directory URL --directory-key HEX`.
 */
import { existsSync } from 'node:fs';
import { type ClientEvent, createClient, type MixnetClient, type TrafficOptions } from '@mixnet/client';
import { readState, stateDir, type TestnetState } from '@mixnet/testnet';
import type { Command } from 'commander';
import { CliError } from './output.js';

/** What a testnet's state.json says about its directory (docs/directory.md; written by `testnet up`). */
interface DirectoryEntry {
  url: string;
  publicKey: string;
}

export interface NetworkFlags {
  state?: string;
  directory?: string;
  directoryKey?: string;
}

export interface Network {
  /** The local testnet's state, when there is one. */
  state: TestnetState | undefined;
  directory: DirectoryEntry | undefined;
  topologyPath: string | undefined;
}

export function requireState(dirFlag: string | undefined): { dir: string; state: TestnetState } {
  const dir = stateDir(dirFlag);
  const state = readState(dir);
  if (!state) throw new CliError(`no testnet in ${dir} (start one with \`mixnet testnet up\`, or pass --state)`);
  return { dir, state };
}

/** Adds `--state`, `--directory` and `--directory-key` to a command that talks through the mixnet. */
export function networkOptions(command: Command): Command {
  return command
    .option('--state <dir>', 'state folder of a local testnet')
    .option('--directory <url>', "a network's directory (instead of a local testnet)")
    .option('--directory-key <hex>', "the directory's Ed25519 public key (with --directory)");
}

export function resolveNetwork(f: NetworkFlags): Network {
  if (!f.directory !== !f.directoryKey) throw new CliError('--directory and --directory-key go together', 2);
  if (f.directoryKey && !/^[0-9a-fA-F]{64}$/.test(f.directoryKey))
    throw new CliError('--directory-key must be the 32-byte Ed25519 public key in hex (64 characters)', 2);
  if (f.directory) {
    if (!/^https?:\/\//.test(f.directory))
      throw new CliError(`--directory must be an http(s) URL, got "${f.directory}"`, 2);
    // A remote network: a local state folder is only used if one was named.
    const state = f.state ? requireState(f.state).state : undefined;
    return {
      state,
      directory: { url: f.directory, publicKey: f.directoryKey as string },
      topologyPath: undefined,
    };
  }
  const { state } = requireState(f.state);
  const directory = (state as TestnetState & { directory?: DirectoryEntry }).directory;
  return { state, directory, topologyPath: state.topologyPath };
}

const RETRANSMIT_REASONS = {
  'ack-timeout': 'no acknowledgement within the timeout',
  'gateway-moved': 'we moved gateway, so acks would go to the old one',
  'reply-stalled': 'the reply stopped coming',
} as const;

const WAITING_FOR = {
  gateway: () => 'for a gateway connection',
  'send-queue': () => 'in the send queue',
  acks: (pending: number, of: number) => `for the acknowledgement of ${pending} of ${of} fragment(s)`,
  reply: () => 'for the reply',
} as const;

/** The stderr line for a client event (undefined: nothing worth saying). */
export function describeEvent(e: ClientEvent): string | undefined {
  switch (e.type) {
    case 'directory-unreachable':
      return `directory unreachable (${e.reason}), keeping ${e.epoch === undefined ? 'the topology file' : `epoch ${e.epoch}`}`;
    case 'document-refused':
      return `refused a topology document: ${e.message}`;
    case 'gateway-changed':
      return `gateway ${e.from} ${e.reason}, moved to ${e.to} (address ${e.address})`;
    case 'retransmit':
      return e.fragment === 'reply'
        ? `reply to request ${e.messageId.slice(0, 8)} asked for again (attempt ${e.attempt}): ${RETRANSMIT_REASONS[e.reason]}`
        : `message ${e.messageId.slice(0, 8)} fragment ${e.fragment} sent again (attempt ${e.attempt}): ${RETRANSMIT_REASONS[e.reason]}`;
    case 'slow':
      return `${e.waitingFor === 'reply' ? 'request' : 'message'} ${e.messageId.slice(0, 8)} still waiting after ${(e.elapsedMs / 1000).toFixed(1)} s, ${WAITING_FOR[e.waitingFor](e.pending, e.fragments)}`;
    default:
      return undefined;
  }
}

/** One stderr line per outage, move, retransmission or slow message: the command's own output stays clean. */
function reportEvent(e: ClientEvent): void {
  const line = describeEvent(e);
  if (line) process.stderr.write(`mixnet: ${line}\n`);
}

export async function connectClient(
  net: Network,
  traffic: Partial<TrafficOptions> = {},
  identity?: Uint8Array,
): Promise<MixnetClient> {
  // The testnet's topology file is the fallback while its directory cannot be reached.
  const topology = net.topologyPath && existsSync(net.topologyPath) ? net.topologyPath : undefined;
  try {
    return await createClient({
      ...(net.directory ? { directory: net.directory } : {}),
      ...(topology ? { topology } : {}),
      // With --active auto the directory's document carries μ: the client takes it from there.
      traffic: { ...(net.state && !net.state.activeSet ? { mu: net.state.mu } : {}), ...traffic },
      onEvent: reportEvent,
      ...(identity ? { identity } : {}),
      // In a traced testnet (`up --trace`) the CLI's clients trace too, so their traffic is analysed.
      ...(net.state?.trace ? { trace: { dir: net.state.trace } } : {}),
    });
  } catch (err) {
    throw new CliError(`cannot connect to the network: ${(err as Error).message}`);
  }
}
