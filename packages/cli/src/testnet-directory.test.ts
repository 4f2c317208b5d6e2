/**
 * Issue 13's lifecycle from the command line: `testnet up` with a directory, active and standby
 * mixes and short epochs; `status` shows the epoch and each node's state; `kill` takes a mix out of
 * the active set at the next epochs and promotes the standby one; `start` brings it back; `scale`
 * adds a mix and grows the active set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processesMentioning, runCli } from './test-support/cli.js';

interface StatusJson {
  epoch?: { epoch: number | null; activePerLayer?: number };
  processes: { id: string; role: string; health: string; state?: string; score?: number }[];
}

const EPOCH_MS = 2_000;

describe('testnet with a directory: status, kill, start, scale', () => {
  const state = mkdtempSync(join(tmpdir(), 'mixnet-dircli-'));
  afterAll(async () => {
    await runCli(['testnet', 'down', '--state', state]);
    rmSync(state, { recursive: true, force: true });
  });

  const status = async (): Promise<StatusJson> => {
    const r = await runCli(['testnet', 'status', '--state', state, '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as StatusJson;
  };
  const mixes = (s: StatusJson, st: string) =>
    s.processes.filter((p) => p.role === 'mix' && p.state === st).map((p) => p.id);
  /** Polls status until `ok` holds, for at most `epochs` epochs (plus the CLI's own start-up). */
  const until = async (ok: (s: StatusJson) => boolean, epochs: number): Promise<StatusJson> => {
    const deadline = Date.now() + epochs * EPOCH_MS + 5_000;
    let s = await status();
    while (!ok(s) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      s = await status();
    }
    return s;
  };

  it('brings up a directory first, 2 × 1 active and 1 standby mix, and reports the epoch', {
    timeout: 240_000,
  }, async () => {
    const up = await runCli([
      'testnet',
      'up',
      '--layers',
      '2',
      '--active-per-layer',
      '1',
      '--standby',
      '1',
      '--epoch',
      `${EPOCH_MS / 1000}s`,
      '--chain',
      'none',
      '--state',
      state,
      '--detach',
      '--json',
    ]);
    expect(up.code, up.stderr).toBe(0);
    const upJson = JSON.parse(up.stdout) as {
      processes: { role: string }[];
      directory: { url: string };
      readyMs: number;
    };
    expect(upJson.processes[0]?.role).toBe('directory');
    expect(upJson.directory.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(up.stderr).toMatch(/epoch \d+ published/);

    const s = await until((x) => mixes(x, 'active').length === 2 && mixes(x, 'standby').length === 1, 3);
    expect(s.epoch?.epoch).toBeGreaterThanOrEqual(0);
    expect(mixes(s, 'active')).toHaveLength(2);
    expect(mixes(s, 'standby')).toHaveLength(1);
    const table = await runCli(['testnet', 'status', '--state', state]);
    expect(table.stdout).toMatch(/^epoch \d+, next in \d+\.\d s; 2 layers × 1 active/);
    expect(table.stdout).toMatch(/mix-\d-\d\s+up\s+standby\s+\d\.\d\d/);

    // Kill the active mix of a layer: within two epochs it is out and the standby one is in.
    const [victim] = mixes(s, 'active');
    const [standby] = mixes(s, 'standby');
    const kill = await runCli(['testnet', 'kill', victim as string, '--state', state]);
    expect(kill.code, kill.stderr).toBe(0);
    const healed = await until(
      (x) => mixes(x, 'active').includes(standby as string) && !mixes(x, 'active').includes(victim as string),
      3,
    );
    expect(mixes(healed, 'active')).toContain(standby);
    expect(healed.processes.find((p) => p.id === victim)).toMatchObject({ health: 'down', score: 0 });
    expect(['down', 'expired']).toContain(healed.processes.find((p) => p.id === victim)?.state);

    // Start it again (same keys and data): it is back, active or standby.
    const start = await runCli(['testnet', 'start', victim as string, '--state', state]);
    expect(start.code, start.stderr).toBe(0);
    const back = await until(
      (x) => ['active', 'standby'].includes(x.processes.find((p) => p.id === victim)?.state ?? ''),
      4,
    );
    expect(back.processes.find((p) => p.id === victim)?.health).toBe('up');

    // Scale to 2 per layer: 4 needed, 3 exist, so one is generated, admitted and started.
    const scale = await runCli(['testnet', 'scale', '--active-per-layer', '2', '--state', state, '--json']);
    expect(scale.code, scale.stderr).toBe(0);
    const scaled = JSON.parse(scale.stdout) as { activePerLayer: number; added: string[] };
    expect(scaled).toMatchObject({ activePerLayer: 2 });
    expect(scaled.added).toHaveLength(1);
    const grown = await until((x) => mixes(x, 'active').length === 4, 6);
    expect(mixes(grown, 'active')).toEqual(expect.arrayContaining(scaled.added));
    expect(grown.epoch?.activePerLayer).toBe(2);

    const bad = await runCli(['testnet', 'kill', 'mix-9-9', '--state', state]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no process "mix-9-9"/);

    // `down` stops every process, the restarted and the added ones too (their start times are recorded).
    const down = await runCli(['testnet', 'down', '--state', state]);
    expect(down.code, down.stderr).toBe(0);
    expect(processesMentioning(state)).toEqual([]);
  });
});
