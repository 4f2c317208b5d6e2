/**
 * The directory as a process: `mixnet run directory --config FILE` (the CLI calls runDirectory), or
 * `mixnet-directory --config FILE`. SIGTERM/SIGINT: stop, save the state, exit 0. Errors are one
 * line on stderr and exit 1.
 */
import { parseArgs } from 'node:util';
import { loadDirectoryConfig } from './config.js';
import { createDirectory } from './directory.js';

export async function runDirectory(configPath: string): Promise<void> {
  const directory = createDirectory(loadDirectoryConfig(configPath));
  await directory.start();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    directory.logger.info({ signal }, 'shutting down');
    directory.stop().then(
      () => process.exit(0),
      (err: Error) => {
        directory.logger.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const { values } = parseArgs({ options: { config: { type: 'string' } } });
  if (!values.config) {
    process.stderr.write('usage: mixnet-directory --config FILE\n');
    process.exit(2);
  }
  runDirectory(values.config).catch((err: Error) => {
    process.stderr.write(`mixnet-directory: ${err.message}\n`);
    process.exit(1);
  });
}
