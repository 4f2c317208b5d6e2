/**
 * Issue 19: the client SDK's browser bundle in a real Chromium against a real testnet (3 layers,
 * directory, hardhat, service provider). The page knows only the directory's URL and key: it
 * fetches the signed document over HTTP (CORS), opens the gateway's WebSocket, asks for the block
 * number and sends a transfer with viem through the mixnet; the chain, asked directly, has it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_ACCOUNT_PRIVATE_KEY } from './chain.js';
import type { TestnetState } from './layout.js';
import { launchChromium } from './test-support/browser.js';
import type { PageRunOptions, PageRunResult } from './test-support/browser-client-page.js';
import { bundleBrowserClient, bundlePageScript, type StaticServer, serveStatic } from './test-support/browser-page.js';
import { downTestnet, upTestnet } from './testnet.js';

const RECIPIENT = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' as const;
const PAGE = fileURLToPath(new URL('./test-support/browser-client-page.ts', import.meta.url));

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return ((await res.json()) as { result: unknown }).result;
}

describe('the browser client in Chromium, through a real testnet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-browser-'));
  let state: TestnetState;
  let site: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    const out = mkdtempSync(join(tmpdir(), 'mixnet-browser-bundle-'));
    const [testnet, client, app, chromium] = await Promise.all([
      upTestnet({ dir, layers: 3, mu: 5, logLevel: 'warn' }),
      Promise.resolve(bundleBrowserClient(out)),
      bundlePageScript(PAGE),
      launchChromium(),
    ]);
    state = testnet;
    browser = chromium;
    site = await serveStatic({
      '/': {
        type: 'text/html',
        body: '<!doctype html><meta charset="utf-8"><title>mixnet</title><script type="module" src="/app.js"></script>',
      },
      '/app.js': { type: 'text/javascript', body: app },
      '/mixnet-client.js': { type: 'text/javascript', body: client },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await downTestnet(dir);
  });

  it('joins from the directory URL, reads the block number and gets a transfer receipt', async () => {
    expect(state.directory, 'the testnet runs a directory').toBeDefined();
    const directory = state.directory as { url: string; publicKey: string };
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(site.url);
    await page.waitForFunction(() => typeof (globalThis as { mixnetRun?: unknown }).mixnetRun === 'function');
    const opts: PageRunOptions = {
      directory: { url: directory.url, publicKey: directory.publicKey },
      serviceProvider: 'service-provider',
      privateKey: DEV_ACCOUNT_PRIVATE_KEY,
      recipient: RECIPIENT,
    };
    const result = await page.evaluate(
      (o) => (globalThis as unknown as { mixnetRun(o: PageRunOptions): Promise<PageRunResult> }).mixnetRun(o),
      opts,
    );
    console.log(
      `browser client: ready ${result.readyMs.toFixed(0)} ms, eth_blockNumber ${result.blockNumberMs.toFixed(0)} ms, ` +
        `transfer to receipt ${result.txMs.toFixed(0)} ms`,
    );
    expect(result.blockNumber).toMatch(/^0x[0-9a-f]+$/);
    expect(result.status).toBe('success');
    expect(errors).toEqual([]);
    // The chain itself, asked directly, has the transaction the page sent through the mixnet.
    const receipt = (await rpc(state.chainUrl as string, 'eth_getTransactionReceipt', [result.hash])) as {
      status: string;
      to: string;
    } | null;
    expect(receipt?.status).toBe('0x1');
    expect(receipt?.to.toLowerCase()).toBe(RECIPIENT.toLowerCase());
  });
});
