/**
 * The browser suite runs Sphinx in Chromium with the noble backend (the page checks that
 * @mixnet/sphinx picks noble by itself there) and reports it beside Node's figures.
 */
import { describe, expect, it } from 'vitest';
import { runBrowserSuite } from './browser-suite.js';

describe('browser bench suite', () => {
  it('measures create and process in Chromium and on Node, in one report', async () => {
    const { report, chromium, node } = await runBrowserSuite({ timeMs: 150 });
    expect(chromium.backend).toBe('noble');
    expect(node.map((c) => c.backend)).toEqual(['noble', 'native']);
    for (const c of [chromium, ...node]) {
      expect(c.createUs).toBeGreaterThan(0);
      // Creating a 4-hop packet does four hops' key work: it costs more than processing one.
      expect(c.createUs).toBeGreaterThan(c.processUs);
    }
    expect(report.machine.browser).toMatch(/^Chromium \d+/);
    const names = report.entries.map((e) => e.name);
    expect(names).toContain('browser/chromium noble: processPacket (1 hop, 2065)');
    expect(names).toContain('browser/node native: createPacket (4 hops, 2065)');
    expect(names).toContain('browser/chromium ÷ node, noble (process)');
  });
});
