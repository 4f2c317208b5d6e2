/** The `mixnet` command tree, built without running it (main.ts runs it; tests inspect it). */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAnalyze } from './commands/analyze.js';
import { registerBench } from './commands/bench.js';
import { registerChaos } from './commands/chaos.js';
import { registerDashboard } from './commands/dashboard.js';
import { registerKeygen } from './commands/keygen.js';
import { registerReceive } from './commands/receive.js';
import { registerRelayTx } from './commands/relay-tx.js';
import { registerRun } from './commands/run.js';
import { registerSend } from './commands/send.js';
import { registerSocks } from './commands/socks.js';
import { registerTestnet } from './commands/testnet.js';

/** This package's version (from package.json, one level above dist/ and src/). */
export const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

const EXIT_CODES = `
Exit codes:
  0  success
  1  a runtime failure: no testnet, a process or the network failed, a file is missing
  2  a usage error: unknown command or flag, or a flag value out of range`;

export function createProgram(): Command {
  const program = new Command('mixnet')
    .description('a Sphinx mixnet testbed: run a local mixnet, send through it, measure it')
    .version(VERSION, '-V, --version', 'print the version')
    .showHelpAfterError()
    .addHelpText('after', EXIT_CODES)
    .exitOverride();
  registerTestnet(program);
  registerRun(program);
  registerSend(program);
  registerReceive(program);
  registerRelayTx(program);
  registerSocks(program);
  registerKeygen(program);
  registerBench(program);
  registerAnalyze(program);
  registerChaos(program);
  registerDashboard(program);
  return program;
}
