/**
 * The browser suite's page script (bundled by esbuild for the browser, so @mixnet/sphinx comes with
 * its browser platform: noble, no node:crypto): exposes the same measurement as on Node.
 */
import { createNobleBackend, defaultBackendName } from '@mixnet/sphinx';
import { measureSphinxCost, type SphinxCost } from './sphinx-cost.js';

export interface PageBench {
  /** The backend @mixnet/sphinx picks by itself in this page (noble in a browser). */
  defaultBackend: string;
  cost: SphinxCost;
}

function run(opts: { timeMs: number }): PageBench {
  return {
    defaultBackend: defaultBackendName(),
    cost: measureSphinxCost({ backend: createNobleBackend(), timeMs: opts.timeMs }),
  };
}

(globalThis as { mixnetBench?: typeof run }).mixnetBench = run;
