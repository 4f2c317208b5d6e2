import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Workspace packages resolve to their TypeScript sources in tests: no build step needed.
    conditions: ['@mixnet/source'],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'bench/**/*.test.ts', 'testnet/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/target/**'],
    testTimeout: 60_000,
    hookTimeout: 900_000,
  },
});
