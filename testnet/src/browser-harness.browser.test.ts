import { describe, expect, it } from 'vitest';
import { browserTestsDecision, launchChromium } from './test-support/browser.js';

describe('browser harness', () => {
  it('launches the system Chromium headless, with the page APIs the browser client needs', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const seen = await page.evaluate(() => ({
        webSocket: typeof WebSocket,
        random: typeof crypto.getRandomValues,
        agent: navigator.userAgent,
      }));
      expect(seen.webSocket).toBe('function');
      expect(seen.random).toBe('function');
      expect(seen.agent).toMatch(/HeadlessChrome/);
    } finally {
      await browser.close();
    }
  });

  it('always runs the browser tests in CI, and names how to get Chromium when they are left out', () => {
    expect(browserTestsDecision({ CI: 'true', MIXNET_CHROMIUM: '/nonexistent/chromium' })).toEqual({ run: true });
    const local = browserTestsDecision({ MIXNET_CHROMIUM: '/nonexistent/chromium' });
    expect(local.run).toBe(false);
    expect(local.warning).toMatch(/chromium-up\.sh/);
  });
});
