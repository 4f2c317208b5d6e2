/**
 * The browser suite (issue 19): what the browser client pays per packet, Sphinx create (4 hops) and
 * process (one hop) with the noble backend in headless Chromium (the system one, via playwright-core),
 * beside the same measurement on this Node (noble and native) in the same run.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createNativeBackend, createNobleBackend } from '@mixnet/sphinx';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { PageBench } from './browser-page.js';
import { type BenchEntry, type BenchReport, machineInfo } from './results.js';
import { measureSphinxCost, type SphinxCost } from './sphinx-cost.js';

export interface BrowserSuiteOptions {
  /** Milliseconds per operation and platform. */
  timeMs?: number;
  /** Chromium binary (default MIXNET_CHROMIUM, else /usr/bin/chromium). */
  chromiumPath?: string;
  log?: (line: string) => void;
}

export interface BrowserSuiteResult {
  report: BenchReport;
  chromium: SphinxCost;
  node: SphinxCost[];
}

/** The page script, bundled for the browser: from the TS source in tests, the built JS otherwise. */
async function bundlePage(): Promise<string> {
  const self = import.meta.url;
  const entry = fileURLToPath(new URL(self.endsWith('.ts') ? './browser-page.ts' : './browser-page.js', self));
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@mixnet/source'],
    write: false,
    logLevel: 'warning',
  });
  return (result.outputFiles[0] as { text: string }).text;
}

/** Runs the page in headless Chromium (--no-sandbox: CI runs as root) from a loopback origin. */
async function inChromium(script: string, timeMs: number, path: string): Promise<PageBench & { version: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/bench.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<script type="module" src="/bench.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({
    executablePath: path,
    headless: true,
    timeout: 60_000,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => typeof (globalThis as { mixnetBench?: unknown }).mixnetBench === 'function');
    const result = await page.evaluate(
      (t) => (globalThis as unknown as { mixnetBench(o: { timeMs: number }): PageBench }).mixnetBench({ timeMs: t }),
      timeMs,
    );
    return { ...result, version: browser.version() };
  } finally {
    await browser.close();
    server.close();
  }
}

export async function runBrowserSuite(opts: BrowserSuiteOptions = {}): Promise<BrowserSuiteResult> {
  const timeMs = opts.timeMs ?? 1000;
  const path = opts.chromiumPath ?? (process.env.MIXNET_CHROMIUM || '/usr/bin/chromium');
  opts.log?.(`browser: Sphinx create/process, ${timeMs} ms each, in Chromium (${path}) and on Node ...`);
  const page = await inChromium(await bundlePage(), timeMs, path);
  if (page.defaultBackend !== 'noble')
    throw new Error(`@mixnet/sphinx picked "${page.defaultBackend}" in Chromium, expected noble`);
  const node = [createNobleBackend(), createNativeBackend()].map((backend) => measureSphinxCost({ backend, timeMs }));
  const nodeNoble = node[0] as SphinxCost;
  const entries: BenchEntry[] = [];
  const add = (where: string, c: SphinxCost) => {
    const extra = `median of ${c.batches} batch means`;
    entries.push({
      name: `browser/${where} ${c.backend}: createPacket (4 hops, 2065)`,
      unit: 'us',
      value: round(c.createUs),
      extra,
    });
    entries.push({
      name: `browser/${where} ${c.backend}: processPacket (1 hop, 2065)`,
      unit: 'us',
      value: round(c.processUs),
      extra,
    });
  };
  add('chromium', page.cost);
  for (const c of node) add('node', c);
  entries.push({
    name: 'browser/chromium ÷ node, noble (create)',
    unit: 'ratio',
    value: round(page.cost.createUs / nodeNoble.createUs, 2),
  });
  entries.push({
    name: 'browser/chromium ÷ node, noble (process)',
    unit: 'ratio',
    value: round(page.cost.processUs / nodeNoble.processUs, 2),
  });
  return {
    chromium: page.cost,
    node,
    report: {
      suite: 'browser',
      date: new Date().toISOString(),
      machine: { ...machineInfo(), browser: `Chromium ${page.version}` },
      statistic: 'median',
      entries,
    },
  };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
