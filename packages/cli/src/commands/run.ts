/** `mixnet run <mix|gateway|host|service-provider|network-requester|directory> --config FILE`: the one entry point of every testnet process. */
import { runDirectory } from '@mixnet/directory';
import { runHost, runNode } from '@mixnet/node';
import type { Command } from 'commander';
import { runNetworkRequester } from '../network-requester-runner.js';
import { CliError } from '../output.js';
import { runServiceProvider } from '../service-provider-runner.js';

export function registerRun(program: Command): void {
  program
    .command('run <role>')
    .description(
      'run one process: mix, gateway, host (several mixes/gateways), service-provider, network-requester or directory',
    )
    .requiredOption('--config <file>', 'its JSON config')
    .action(async (role: string, f: { config: string }) => {
      if (role === 'mix' || role === 'gateway') await runNode(role, f.config);
      else if (role === 'host') await runHost(f.config);
      else if (role === 'service-provider') await runServiceProvider(f.config);
      else if (role === 'network-requester') await runNetworkRequester(f.config);
      else if (role === 'directory') await runDirectory(f.config);
      else
        throw new CliError(
          `role must be mix, gateway, host, service-provider, network-requester or directory, got "${role}"`,
          2,
        );
    });
}
