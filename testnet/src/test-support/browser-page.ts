/**
 * Pages for the browser tests: the client's browser bundle built fresh (the client package's own
 * script, so the test loads exactly what is published), a page script bundled with esbuild, and a
 * loopback HTTP server for them.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const BUNDLE_SCRIPT = fileURLToPath(new URL('../../../packages/client/scripts/bundle-browser.mjs', import.meta.url));

/** Builds @mixnet/client's browser bundle into `outDir`; returns its text. */
export function bundleBrowserClient(outDir: string): string {
  const run = spawnSync(process.execPath, [BUNDLE_SCRIPT, outDir], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`bundle-browser.mjs failed: ${run.stderr}`);
  return readFileSync(join(outDir, 'mixnet-client.js'), 'utf8');
}

/**
 * Bundles a page script (ESM). `@mixnet/client/browser` stays an import of `clientUrl`, so the page
 * loads the SDK bundle as a separate file, as a site would.
 */
export async function bundlePageScript(entry: string, clientUrl = '/mixnet-client.js'): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'warning',
    plugins: [
      {
        name: 'mixnet-client-browser',
        setup(b) {
          b.onResolve({ filter: /^@mixnet\/client\/browser$/ }, () => ({ path: clientUrl, external: true }));
        },
      },
    ],
  });
  return (result.outputFiles[0] as { text: string }).text;
}

export interface StaticFile {
  type: string;
  body: string | Uint8Array;
}

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serves fixed files on 127.0.0.1; anything else is 404. */
export async function serveStatic(files: Record<string, StaticFile>): Promise<StaticServer> {
  const server = createServer((req, res) => {
    const file = files[(req.url ?? '/').split('?')[0] as string];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
