/**
 * The browser bundle (scripts/bundle-browser.mjs): built here into a temporary folder, its esbuild
 * metafile must show no Node builtin and none of the Node platform modules, only their browser
 * variants; the bundle exports the client API. Prints its size.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../scripts/bundle-browser.mjs', import.meta.url));

interface Metafile {
  inputs: Record<string, { bytes: number; imports: { path: string; external?: boolean }[] }>;
  outputs: Record<string, { bytes: number }>;
}

let out: string;
let meta: Metafile;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'mixnet-browser-bundle-'));
  const run = spawnSync(process.execPath, [SCRIPT, out], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as Metafile;
}, 120_000);

describe('browser bundle', () => {
  it('holds no Node builtin, no ws and none of the Node platform modules', () => {
    const inputs = Object.keys(meta.inputs);
    const imports = Object.values(meta.inputs).flatMap((i) => i.imports);
    expect(imports.filter((i) => i.external || i.path.startsWith('node:')).map((i) => i.path)).toEqual([]);
    expect(inputs.filter((p) => /\/node_modules\/ws\//.test(p))).toEqual([]);
    const nodeOnly =
      /client\/src\/(platform\/(websocket|files)|trace)\.ts$|sphinx\/src\/crypto\/(native|sodium|platform)\.ts$/;
    const abs = inputs.map((p) => join(fileURLToPath(new URL('..', import.meta.url)), p));
    expect(abs.filter((p) => nodeOnly.test(p))).toEqual([]);
    for (const variant of ['websocket.browser.ts', 'files.browser.ts', 'trace.browser.ts', 'platform.browser.ts'])
      expect(
        inputs.some((p) => p.endsWith(variant)),
        variant,
      ).toBe(true);
    expect(inputs.some((p) => p.endsWith('sphinx/src/crypto/noble.ts'))).toBe(true);
  });

  it('exports the client API as one ESM file, and prints its size', async () => {
    const file = join(out, 'mixnet-client.js');
    const code = readFileSync(file);
    expect(code.toString('utf8')).not.toMatch(/\brequire\(|from\s*"node:/);
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const name of ['createClient', 'mixnetTransport', 'createMixnetProvider', 'parseRecipient'])
      expect(typeof mod[name], name).toBe('function');
    console.log(
      `browser bundle: ${(code.length / 1024).toFixed(1)} KiB minified, ${(gzipSync(code).length / 1024).toFixed(1)} KiB gzip`,
    );
  });
});
