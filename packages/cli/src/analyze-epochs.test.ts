/**
 * `mixnet analyze --per-epoch` as a user runs it: one row per epoch of the trace header's `epochs`
 * (a run with a directory), and a clear refusal for a trace without them.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './test-support/cli.js';

describe('mixnet analyze --per-epoch', () => {
  it('prints H_out, degree and latency per epoch, and refuses a trace without epochs', {
    timeout: 120_000,
  }, async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mixnet-epochs-')), 'sim');
    const sim = await runCli([
      'simulate',
      '--clients',
      '6',
      '--width',
      '2',
      '--mu',
      '20ms',
      '--seconds',
      '10',
      '--out',
      dir,
    ]);
    expect(sim.code).toBe(0);

    const none = await runCli(['analyze', dir, '--per-epoch']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/the trace has no epochs: --per-epoch needs a run with a directory/);

    const metaFile = join(dir, 'meta.jsonl');
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    const t0 = meta.t_start ?? 0;
    meta.epochs = [0, 1].map((e) => ({
      epoch: 40 + e,
      from: t0 + 5 * e,
      until: t0 + 5 * (e + 1),
      mean_delay: 0.02,
      layers: e === 0 ? meta.layers : meta.layers.map((l: string[]) => l.slice(0, 1)),
    }));
    writeFileSync(metaFile, `${JSON.stringify(meta)}\n`);
    const r = await runCli(['analyze', dir, '--per-epoch', '--settle', '0.2s']);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^4[01]\s/.test(l));
    expect(rows).toHaveLength(2);
    // epoch, from, μ ms, width: the second epoch ran one mix per layer
    expect(rows[0]).toMatch(/^40\s+\S+\s+20\.0\s+2\s/);
    expect(rows[1]).toMatch(/^41\s+\S+\s+20\.0\s+1\s/);
    const json = JSON.parse((await runCli(['analyze', dir, '--json'])).stdout);
    expect(json.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([40, 41]);
    expect(json.epochs[1].hOut.n).toBeGreaterThan(10);
  });
});
