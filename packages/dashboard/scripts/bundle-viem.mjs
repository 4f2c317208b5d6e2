// Bundles the part of viem the page's transaction panel uses to dist/browser/viem.js (one ESM file,
// served at /sdk/viem.js beside the client SDK's browser bundle).
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist/browser/viem.js');
mkdirSync(dirname(outfile), { recursive: true });
const result = await build({
  stdin: {
    contents:
      "export { createPublicClient, createWalletClient, defineChain, parseEther, formatEther } from 'viem';\n" +
      "export { privateKeyToAccount } from 'viem/accounts';\n",
    resolveDir: root,
    sourcefile: 'viem-entry.js',
  },
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined)?.bytes ?? 0;
console.log(`viem bundle: dist/browser/viem.js ${(bytes / 1024).toFixed(1)} KiB`);
