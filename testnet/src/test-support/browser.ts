/**
 * The browser the browser tests drive: the system Chromium through playwright-core, headless.
 * Test files that use it are named `*.browser.test.ts` (see chromium.ts for when they run).
 */
import { type Browser, chromium, type LaunchOptions } from 'playwright-core';
import { chromiumPath } from './chromium.js';

export { browserTestsDecision, chromiumPath, hasChromium } from './chromium.js';

export interface LaunchChromiumOptions {
  /** Extra command-line flags. */
  args?: string[];
  /** Launch timeout in ms (default 60 s: a cold start on a busy 2-core machine is slow). */
  timeoutMs?: number;
  /** Binary to launch (default chromiumPath()). */
  executablePath?: string;
}

/**
 * Launches headless Chromium. --no-sandbox because the tests run as root in CI containers, where
 * Chromium's sandbox refuses to start; --disable-dev-shm-usage because a container's /dev/shm is
 * often 64 MB, which crashes renderers.
 */
export async function launchChromium(opts: LaunchChromiumOptions = {}): Promise<Browser> {
  const launch: LaunchOptions = {
    executablePath: opts.executablePath ?? chromiumPath(),
    headless: true,
    timeout: opts.timeoutMs ?? 60_000,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', ...(opts.args ?? [])],
  };
  return chromium.launch(launch);
}
