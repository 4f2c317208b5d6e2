#!/usr/bin/env node
/** The `mixnet` command line (ARCHITECTURE.md): one entry point for every tool and process. */
import { Command, CommanderError } from 'commander';
import { registerAnalyze } from './commands/analyze.js';
import { registerBench } from './commands/bench.js';
import { registerKeygen } from './commands/keygen.js';
import { registerRelayTx } from './commands/relay-tx.js';
import { registerRun } from './commands/run.js';
import { registerSend } from './commands/send.js';
import { registerTestnet } from './commands/testnet.js';
import { CliError } from './output.js';

const program = new Command('mixnet')
  .description('a Sphinx mixnet testbed: run a local mixnet, send through it, measure it')
  .showHelpAfterError()
  .exitOverride();

registerTestnet(program);
registerRun(program);
registerSend(program);
registerRelayTx(program);
registerKeygen(program);
registerBench(program);
registerAnalyze(program);

function fail(err: unknown): never {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`mixnet: ${message}\n`);
  process.exit(err instanceof CliError ? err.exitCode : 1);
}

program.parseAsync(process.argv).catch(fail);
