/** The chain behind the service provider: hardhat's node (hardhat 2, from npm) on a chosen port. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type StartedProcess, spawnDetached } from './process-runtime.js';

const require = createRequire(import.meta.url);

export function hardhatBin(): string {
  return join(dirname(require.resolve('hardhat/package.json')), 'internal/cli/bootstrap.js');
}

/** Hardhat's first dev account (public, documented by hardhat): funds `relay-tx`. */
export const DEV_ACCOUNT_PRIVATE_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' as const;
export const DEV_CHAIN_ID = 31337;

/** Writes the hardhat config of the devnet chain into `dir`; returns its path. */
export function writeHardhatConfig(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'hardhat.config.cjs');
  writeFileSync(
    config,
    `module.exports = { networks: { hardhat: { chainId: ${DEV_CHAIN_ID}, mining: { auto: true } } }, paths: { cache: ${JSON.stringify(join(dir, 'cache'))} } };\n`,
  );
  return config;
}

export function startHardhat(dir: string, host: string, port: number, logPath: string): StartedProcess {
  const config = writeHardhatConfig(dir);
  return spawnDetached(
    process.execPath,
    [hardhatBin(), '--config', config, 'node', '--hostname', host, '--port', String(port)],
    logPath,
    // Hardhat refuses to run unless it resolves from its working directory: run it from ours.
    fileURLToPath(new URL('..', import.meta.url)),
  );
}

/** true once the node answers eth_chainId. */
export async function chainReady(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(2_000),
    });
    return res.ok && typeof ((await res.json()) as { result?: unknown }).result === 'string';
  } catch {
    return false;
  }
}
