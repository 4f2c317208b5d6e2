// Bundles the browser entry (src/browser.ts) to dist/browser/mixnet-client.js, one ESM file with
// viem's `custom` and the noble crypto inside; package.json's "browser" field swaps in the
// platform/*.browser.ts modules. Writes the esbuild metafile beside it (tests check it holds no
// Node builtins) and prints the size. The "browser" field's keys name the source files as they are
// imported (./src/x.js), which is how esbuild matches them when bundling from the TS sources.
//
//   node scripts/bundle-browser.mjs [OUT_DIR]     # default dist/browser
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = process.argv[2] ?? join(root, 'dist/browser');
const outfile = join(outDir, 'mixnet-client.js');
mkdirSync(dirname(outfile), { recursive: true });
const result = await build({
  entryPoints: [join(root, 'src/browser.ts')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  // Workspace packages from their TypeScript sources, as the tests see them.
  conditions: ['@mixnet/source'],
  minify: true,
  sourcemap: true,
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
writeFileSync(join(dirname(outfile), 'meta.json'), JSON.stringify(result.metafile));
const bytes = result.metafile.outputs[Object.keys(result.metafile.outputs).find((k) => k.endsWith('.js'))].bytes;
console.log(`browser bundle: ${outfile} ${(bytes / 1024).toFixed(1)} KiB`);
