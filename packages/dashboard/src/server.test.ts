/**
 * The dashboard's server on a fake running testnet: the page and its scripts, uPlot, live snapshots
 * over server-sent events, the panel's config and the read-only directory pass-through.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedSnapshot } from './feed.js';
import { type Dashboard, startDashboard } from './server.js';
import { type FakeTestnet, startFakeTestnet } from './test-support/fake-testnet.js';

let testnet: FakeTestnet | undefined;
let dashboard: Dashboard | undefined;
afterEach(async () => {
  await dashboard?.close();
  await testnet?.close();
});

/** The first `n` snapshots of GET /events. */
async function readEvents(url: string, n: number): Promise<FeedSnapshot[]> {
  const res = await fetch(`${url}events`, { signal: AbortSignal.timeout(10_000) });
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const out: FeedSnapshot[] = [];
  let text = '';
  while (out.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    let i = text.indexOf('\n\n');
    while (i >= 0) {
      const event = text.slice(0, i);
      text = text.slice(i + 2);
      if (event.startsWith('data: ')) out.push(JSON.parse(event.slice(6)) as FeedSnapshot);
      i = text.indexOf('\n\n');
    }
  }
  await reader.cancel();
  return out;
}

describe('dashboard server', () => {
  it('serves the page, uPlot, live snapshots, the panel config and the directory, on 127.0.0.1', async () => {
    testnet = await startFakeTestnet();
    dashboard = await startDashboard({ stateDir: testnet.dir, port: 0, probeRateHz: 0, intervalMs: 200 });
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const page = await fetch(dashboard.url);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<script type="module" src="/app.js">');
    for (const path of [
      'app.js',
      'charts.js',
      'topology.js',
      'tx-panel.js',
      'style.css',
      'vendor/uPlot.esm.js',
      'sdk/mixnet-client.js',
      'sdk/viem.js',
    ])
      expect((await fetch(`${dashboard.url}${path}`)).status, path).toBe(200);

    testnet.m1.received = 10;
    const events = await readEvents(dashboard.url, 3);
    expect(events.map((e) => e.nodes.length)).toEqual([3, 3, 3]);
    expect(events.at(-1)?.nodes[0]).toMatchObject({ id: 'mix-1-1', status: 'active', counters: { packetsIn: 10 } });
    expect(events.at(-1)?.epoch?.epoch).toBe(7);
    // Snapshots come once per interval, in order.
    expect((events[2] as FeedSnapshot).at).toBeGreaterThan((events[0] as FeedSnapshot).at);

    const config = (await (await fetch(`${dashboard.url}api/config`)).json()) as Record<string, unknown>;
    expect(config.directory).toEqual({ path: '/directory', publicKey: testnet.directory.publicKey });
    const nodes = await (await fetch(`${dashboard.url}directory/v1/nodes`)).json();
    expect(nodes).toEqual(testnet.directory.nodes);
    // Only GET, and only the directory's /v1 API, passes through.
    expect((await fetch(`${dashboard.url}directory/../state.json`)).status).toBe(404);
    expect((await fetch(dashboard.url, { method: 'POST' })).status).toBe(405);
  });
});
