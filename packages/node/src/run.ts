/**
 * The single process entry point of a node: `mixnet-node <mix|gateway> --config FILE` (the CLI's
 * `mixnet run` calls runNode). SIGTERM/SIGINT: stop accepting, forward what is held, save state,
 * exit 0. Errors are one line on stderr and exit 1.
 */
import { parseArgs } from 'node:util';
import { loadNodeConfig } from './config.js';
import { createGateway } from './gateway.js';
import type { Logger } from './logger.js';
import { createMixNode } from './mix-node.js';

export async function runNode(role: string, configPath: string): Promise<void> {
  const config = loadNodeConfig(configPath);
  if (config.role !== role) throw new Error(`${configPath}: config is for a ${config.role}, not a ${role}`);
  const node = config.role === 'mix' ? await createMixNode(config) : await createGateway(config);
  await node.start();
  stopOnSignal(node.logger, () => node.stop());
}

/** SIGTERM/SIGINT: run `stop` once, then exit 0, or 1 if it failed (every process the project runs). */
export function stopOnSignal(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** The command line of `mixnet-node` (bin/mixnet-node.js, or `node dist/run.js`). */
export function main(): void {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { config: { type: 'string' } } });
  const role = positionals[0];
  if ((role !== 'mix' && role !== 'gateway') || !values.config) {
    process.stderr.write('usage: mixnet-node <mix|gateway> --config FILE\n');
    process.exit(2);
  }
  runNode(role, values.config).catch((err: Error) => {
    process.stderr.write(`mixnet-node: ${err.message}\n`);
    process.exit(1);
  });
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) main();
