/**
 * Whether the browser tests (`*.browser.test.ts`) run here: they drive the system Chromium
 * (testnet/scripts/chromium-up.sh installs it; Playwright's own browser download cannot work here).
 * In CI they always run, so a missing Chromium fails them by name; on a machine without it and
 * without CI, vitest.config.ts leaves them out with a loud line (like the cargo one).
 * No playwright import here: vitest.config.ts loads this file.
 */
import { spawnSync } from 'node:child_process';

/** The Chromium binary the tests launch: MIXNET_CHROMIUM, else Debian's /usr/bin/chromium. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.MIXNET_CHROMIUM || '/usr/bin/chromium';
}

export function hasChromium(env: NodeJS.ProcessEnv = process.env): boolean {
  return spawnSync(chromiumPath(env), ['--version'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

export interface BrowserTestsDecision {
  run: boolean;
  /** Set when they are left out: the line to print, saying how to get Chromium. */
  warning?: string;
}

export function browserTestsDecision(env: NodeJS.ProcessEnv = process.env): BrowserTestsDecision {
  if (env.CI || hasChromium(env)) return { run: true };
  return {
    run: false,
    warning:
      `\n!! ${chromiumPath(env)} not found: the browser tests (*.browser.test.ts) are NOT run. ` +
      'Install Chromium with `sudo bash testnet/scripts/chromium-up.sh` (apt-get install chromium) to run them.\n\n',
  };
}
