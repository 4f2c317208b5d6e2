/** A client of the testnet named by `--state`, for the commands that talk through the mixnet. */
import { createClient, type MixnetClient, type TrafficOptions } from '@mixnet/client';
import { readState, stateDir, type TestnetState } from '@mixnet/testnet';
import { CliError } from './output.js';

export function requireState(dirFlag: string | undefined): { dir: string; state: TestnetState } {
  const dir = stateDir(dirFlag);
  const state = readState(dir);
  if (!state) throw new CliError(`no testnet in ${dir} (start one with \`mixnet testnet up\`, or pass --state)`);
  return { dir, state };
}

export async function connectClient(
  state: TestnetState,
  traffic: Partial<TrafficOptions> = {},
  identity?: Uint8Array,
): Promise<MixnetClient> {
  try {
    return await createClient({
      topology: state.topologyPath,
      traffic: { mu: state.mu, ...traffic },
      ...(identity ? { identity } : {}),
      // In a traced testnet (`up --trace`) the CLI's clients trace too, so their traffic is analysed.
      ...(state.trace ? { trace: { dir: state.trace } } : {}),
    });
  } catch (err) {
    throw new CliError(`cannot connect to the testnet's gateway: ${(err as Error).message}`);
  }
}
