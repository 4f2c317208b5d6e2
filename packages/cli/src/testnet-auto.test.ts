/**
 * `mixnet testnet up --active auto --anonymity-target BITS` (docs/directory.md §7): the flags
 * reach the directory, whose documents carry the μ it chose; bad combinations are usage errors.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './test-support/cli.js';

describe('testnet up --active auto', () => {
  const state = mkdtempSync(join(tmpdir(), 'mixnet-cli-auto-'));
  afterAll(async () => {
    await runCli(['testnet', 'down', '--state', state]);
    rmSync(state, { recursive: true, force: true });
  });

  it('refuses incomplete or contradictory flags, naming them', async () => {
    const up = (...args: string[]) => runCli(['testnet', 'up', '--state', state, '--chain', 'none', ...args]);
    const noTarget = await up('--active', 'auto');
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toMatch(/--active auto needs --anonymity-target/);
    const noAuto = await up('--anonymity-target', '6');
    expect(noAuto.code).toBe(2);
    expect(noAuto.stderr).toMatch(/--anonymity-target needs --active auto/);
    const both = await up('--active', 'auto', '--anonymity-target', '6', '--active-per-layer', '2');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--min-width\/--max-width/);
  });

  it('brings the directory up in auto mode; its document carries μ, within the bounds', {
    timeout: 120_000,
  }, async () => {
    const up = await runCli([
      'testnet',
      'up',
      '--state',
      state,
      '--layers',
      '2',
      '--chain',
      'none',
      '--epoch',
      '5s',
      '--active',
      'auto',
      '--anonymity-target',
      '6',
      '--max-width',
      '2',
      '--mu-max',
      '300ms',
      '--detach',
      '--json',
    ]);
    expect(up.code, up.stderr).toBe(0);
    const s = JSON.parse(up.stdout) as {
      directory: { url: string };
      activeSet: unknown;
      processes: { role: string; configPath?: string }[];
    };
    expect(s.activeSet).toEqual({ anonymityTargetBits: 6, minWidth: 1, maxWidth: 2, mu: { minMs: 1, maxMs: 300 } });
    // Every candidate runs: 2 per layer.
    expect(s.processes.filter((p) => p.role === 'mix')).toHaveLength(4);
    const dirConfig = JSON.parse(
      readFileSync(s.processes.find((p) => p.role === 'directory')?.configPath as string, 'utf8'),
    );
    expect(dirConfig.activeSet).toMatchObject({ mode: 'auto', anonymityTargetBits: 6 });
    const body = (await (await fetch(`${s.directory.url}/v1/topology`)).json()) as { document: string };
    const doc = JSON.parse(body.document) as { muMs?: number; layers: unknown[][] };
    expect(doc.muMs).toBeGreaterThanOrEqual(1);
    expect(doc.muMs).toBeLessThanOrEqual(300);
    expect(doc.layers.every((l) => l.length >= 1 && l.length <= 2)).toBe(true);
    const scale = await runCli(['testnet', 'scale', '--active-per-layer', '2', '--state', state]);
    expect(scale.code).not.toBe(0);
    expect(scale.stderr).toMatch(/sizes its active set itself/);
  });
});
