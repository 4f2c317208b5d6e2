/** `mixnet keygen`: a node's Sphinx (X25519) and identity (Ed25519) keys, written 0600, never printed. */
import { resolve } from 'node:path';
import { generateNodeKeys } from '@mixnet/node';
import type { Command } from 'commander';
import { CliError, printJson } from '../output.js';

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('generate key files for a node or client (mode 0600); prints the public keys')
    .option('--out <dir>', 'folder for sphinx.key and identity.key', '.')
    .option('--json', 'machine-readable output')
    .action((f: { out: string; json?: boolean }) => {
      const dir = resolve(f.out);
      let pub: ReturnType<typeof generateNodeKeys>;
      try {
        pub = generateNodeKeys({
          sphinxPrivateKeyFile: `${dir}/sphinx.key`,
          identityPrivateKeyFile: `${dir}/identity.key`,
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new CliError(e.code === 'EEXIST' ? `${e.path} exists; refusing to overwrite a key` : e.message);
      }
      const out = {
        sphinxKeyFile: `${dir}/sphinx.key`,
        identityKeyFile: `${dir}/identity.key`,
        sphinxPublicKey: Buffer.from(pub.sphinxPublicKey).toString('hex'),
        identityPublicKey: Buffer.from(pub.identityPublicKey).toString('hex'),
      };
      if (f.json) printJson(out);
      else
        process.stdout.write(
          `wrote ${out.sphinxKeyFile} and ${out.identityKeyFile} (mode 0600)\nsphinx key:   ${out.sphinxPublicKey}\nidentity key: ${out.identityPublicKey}\n`,
        );
    });
}
