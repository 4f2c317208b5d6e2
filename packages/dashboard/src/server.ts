/**
 * The dashboard's HTTP server: one static page and its scripts, uPlot from node_modules, the live
 * feed as server-sent events, the browser SDK bundle, and a read-only pass-through to the testnet's
 * directory (the page's client fetches the topology from the page's own origin: no CORS needed).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEV_ACCOUNT_PRIVATE_KEY, readState } from '@mixnet/testnet';
import { createFeed, type Feed, type FeedOptions } from './feed.js';

export interface DashboardOptions extends FeedOptions {
  /** Default 127.0.0.1: the page can send transactions with the testnet's dev key. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
}

export interface Dashboard {
  url: string;
  port: number;
  feed: Feed;
  close(): Promise<void>;
}

const STATIC = fileURLToPath(new URL('../static/', import.meta.url));
const UPLOT = dirname(createRequire(import.meta.url).resolve('uplot'));
/** The browser build of @mixnet/client, resolved on request (it exists once packages/client is built). */
function sdkBundle(): string {
  try {
    return createRequire(import.meta.url).resolve('@mixnet/client/browser/mixnet-client.js');
  } catch {
    return '@mixnet/client/browser/mixnet-client.js (build packages/client)';
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

const FILES: Record<string, string> = {
  '/': join(STATIC, 'index.html'),
  '/app.js': join(STATIC, 'app.js'),
  '/charts.js': join(STATIC, 'charts.js'),
  '/topology.js': join(STATIC, 'topology.js'),
  '/tx-panel.js': join(STATIC, 'tx-panel.js'),
  '/style.css': join(STATIC, 'style.css'),
  '/vendor/uPlot.esm.js': join(UPLOT, 'uPlot.esm.js'),
  '/vendor/uPlot.min.css': join(UPLOT, 'uPlot.min.css'),
  // viem for the transaction panel, bundled by this package (scripts/bundle-viem.mjs).
  '/sdk/viem.js': fileURLToPath(new URL('../dist/browser/viem.js', import.meta.url)),
};

function sendFile(res: ServerResponse, path: string): void {
  if (!existsSync(path)) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not built: ${path}\n`);
    return;
  }
  const ext = path.slice(path.lastIndexOf('.'));
  res
    .writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': 'no-cache' })
    .end(readFileSync(path));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function events(req: IncomingMessage, res: ServerResponse, feed: Feed): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const send = (s: unknown) => res.write(`data: ${JSON.stringify(s)}\n\n`);
  for (const s of feed.history) send(s);
  const unsubscribe = feed.subscribe(send);
  req.on('close', unsubscribe);
}

/** What the page's transaction panel needs: where the network is, and the testnet's dev account. */
function config(stateDir: string): Record<string, unknown> {
  const state = readState(stateDir);
  if (!state) return { error: `no testnet in ${stateDir}` };
  return {
    directory: state.directory ? { path: '/directory', publicKey: state.directory.publicKey } : null,
    serviceProvider: state.serviceProvider?.id ?? null,
    chain: state.chainUrl ? true : null,
    // Hardhat's well-known account #0: a devnet key, public by design.
    devPrivateKey: state.chainUrl ? DEV_ACCOUNT_PRIVATE_KEY : null,
    layers: state.layers,
  };
}

async function proxyDirectory(stateDir: string, path: string, res: ServerResponse): Promise<void> {
  const state = readState(stateDir);
  if (!state?.directory) return json(res, 404, { error: 'this testnet has no directory' });
  try {
    const upstream = await fetch(`${state.directory.url}${path}`, { signal: AbortSignal.timeout(3_000) });
    res
      .writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' })
      .end(Buffer.from(await upstream.arrayBuffer()));
  } catch (err) {
    json(res, 502, { error: `directory unreachable: ${(err as Error).message}` });
  }
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const feed = createFeed(o);
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method !== 'GET') return json(res, 405, { error: 'GET only' });
    if (path === '/events') return events(req, res, feed);
    if (path === '/api/snapshot') return json(res, 200, feed.latest() ?? null);
    if (path === '/api/config') return json(res, 200, config(o.stateDir));
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    if (path.startsWith('/directory/v1/')) return void proxyDirectory(o.stateDir, path.slice('/directory'.length), res);
    if (path === '/sdk/mixnet-client.js') return sendFile(res, sdkBundle());
    const file = FILES[path];
    if (file) return sendFile(res, file);
    json(res, 404, { error: `no ${path}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (o.port ?? 0);
  const shownHost = (o.host ?? '127.0.0.1') === '0.0.0.0' ? '127.0.0.1' : (o.host ?? '127.0.0.1');
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    feed,
    async close() {
      await feed.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
