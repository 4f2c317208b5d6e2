/**
 * Issue 19 in a real browser: `mixnet testnet up` on a 3 × 2 testnet prints the dashboard's URL;
 * in the system Chromium the page shows 3 layers of 2 mixes, its counters move with the traffic,
 * a transaction sent from the page's panel (browser SDK + viem) gets its receipt, and a killed mix
 * turns "down". `MIXNET_UPDATE_SCREENSHOT=1` writes its screenshot to docs/dashboard.png (README).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../testnet/src/test-support/browser.js';
import { CLI, runCli } from '../../cli/src/test-support/cli.js';

// playwright-core's types through the harness (it is testnet's dependency, not this package's).
type Browser = Awaited<ReturnType<typeof launchChromium>>;
type Page = Awaited<ReturnType<Browser['newPage']>>;

// The README's screenshot is refreshed only on request (MIXNET_UPDATE_SCREENSHOT=1), so a test run
// leaves the working tree clean; otherwise it goes to the OS temp folder.
const SCREENSHOT = process.env.MIXNET_UPDATE_SCREENSHOT
  ? fileURLToPath(new URL('../../../docs/dashboard.png', import.meta.url))
  : join(tmpdir(), `mixnet-dashboard-${process.pid}.png`);

describe('the dashboard in Chromium, on a live 3 × 2 testnet', () => {
  const state = mkdtempSync(join(tmpdir(), 'mixnet-dash-e2e-'));
  let cli: ChildProcess;
  let browser: Browser;
  let page: Page;
  let url = '';

  beforeAll(async () => {
    cli = spawn(
      process.execPath,
      [
        CLI,
        'testnet',
        'up',
        '--layers',
        '3',
        '--active-per-layer',
        '2',
        '--epoch',
        '10s',
        '--dashboard-port',
        '0',
        '--state',
        state,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    cli.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no dashboard URL within 120 s:\n${out}\n${err}`)), 120_000);
      cli.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
      cli.on('exit', (code) => reject(new Error(`testnet up exited with ${code}:\n${out}\n${err}`)));
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    cli?.kill('SIGINT');
    await runCli(['testnet', 'down', '--state', state]);
    rmSync(state, { recursive: true, force: true });
  }, 60_000);

  const totalIn = async () => Number(await page.locator('#total-in').textContent());

  it('shows the layers, moving counters, a transaction from the page with its receipt, and a killed mix as down', {
    timeout: 120_000,
  }, async () => {
    await page.goto(url);
    await expect.poll(() => page.locator('#conn').getAttribute('data-state'), { timeout: 10_000 }).toBe('live');

    // 3 layers × 2 mixes (the directory may place any mix in any layer each epoch) and a gateway.
    const layers = page.locator('.layer[data-layer^="L"]');
    await expect.poll(() => layers.count(), { timeout: 15_000 }).toBe(3);
    for (let i = 0; i < 3; i++) expect(await layers.nth(i).locator('.node').count()).toBe(2);
    expect(await page.locator('.node[data-status="active"]').count()).toBe(7);
    expect(await page.locator('#epoch').textContent()).toMatch(/^epoch \d+$/);

    // The dashboard's probe client keeps traffic flowing: the counters move, latency is measured.
    const before = await totalIn();
    await expect.poll(totalIn, { timeout: 15_000 }).toBeGreaterThan(before);
    await expect
      .poll(async () => Number(await page.locator('#delivered').textContent()), { timeout: 15_000 })
      .toBeGreaterThan(0);
    expect(Number(await page.locator('#p50').textContent())).toBeGreaterThan(0);

    // A transaction from the page: the browser client SDK and viem, through every layer to the chain.
    await page.locator('#tx-send').click();
    const card = page.locator('#tx-card');
    await expect.poll(() => card.getAttribute('data-result'), { timeout: 60_000, interval: 500 }).not.toBe('pending');
    expect(await page.locator('#tx-log').textContent()).toMatch(/receipt: success/);
    expect(await card.getAttribute('data-result')).toBe('success');
    expect(Number(await card.getAttribute('data-latency-ms'))).toBeGreaterThan(0);

    // A killed mix turns down on the page.
    const kill = await runCli(['testnet', 'kill', 'mix-2-1', '--state', state]);
    expect(kill.code, kill.stderr).toBe(0);
    await expect
      .poll(() => page.locator('[data-node="mix-2-1"]').getAttribute('data-status'), { timeout: 10_000 })
      .toBe('down');
    await page.waitForTimeout(1_500);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
