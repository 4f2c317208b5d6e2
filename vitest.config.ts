import { spawnSync } from 'node:child_process';
import { defineConfig } from 'vitest/config';
import { browserTestsDecision } from './testnet/src/test-support/chromium.js';

// Vite's default server conditions (vite DEFAULT_SERVER_CONDITIONS), after our source condition.
const defaultServerConditions = ['module', 'node', 'development|production'];

// The Nym interop suites run Nym's Rust crate, so they need cargo. In CI a missing cargo is an
// error (the suites run and fail, naming it); on a machine with only Node they are left out,
// loudly, so the README's test command still works there.
const hasCargo = spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0;
const withoutRust = !hasCargo && !process.env.CI;
if (withoutRust) {
  process.stderr.write(
    '\n!! cargo not found: the Nym interop suites (bench/peers) are NOT run. Install Rust (rustup) to run them.\n\n',
  );
}

// The browser tests drive the system Chromium: in CI always (a missing one fails them by name), else
// only where it is installed (testnet/scripts/chromium-up.sh), loudly left out otherwise.
const browserTests = browserTestsDecision();
if (browserTests.warning) process.stderr.write(browserTests.warning);

// Files whose assertions compare delays or latencies measured on live processes (KS fits, heal
// ratios, per-epoch entropy against μ) form a group of their own, which vitest runs apart from the
// rest (groups run one after the other). Files run one at a time: two at once on 2 cores (tried)
// pushed live testnets past their timeouts and rate checks.
const timingSensitive = [
  'testnet/src/anonymity.test.ts',
  'testnet/src/heal.test.ts',
  'testnet/src/faults.test.ts',
  'testnet/src/ramp.test.ts',
  'testnet/src/auto-size.test.ts',
  'packages/cli/src/auto-size-anonymity.test.ts',
];

const exclude = [
  '**/node_modules/**',
  '**/dist/**',
  '**/target/**',
  ...(withoutRust ? ['bench/peers/**'] : []),
  ...(browserTests.run ? [] : ['**/*.browser.test.ts']),
];

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources in tests (node runs tests as "ssr").
  ssr: { resolve: { conditions: ['@mixnet/source', ...defaultServerConditions] } },
  test: {
    reporters: ['default', './scripts/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 900_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'general',
          include: ['packages/*/src/**/*.test.ts', 'bench/**/*.test.ts', 'testnet/**/*.test.ts'],
          exclude: [...exclude, ...timingSensitive],
          maxWorkers: 1,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'timing',
          include: timingSensitive,
          exclude,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
