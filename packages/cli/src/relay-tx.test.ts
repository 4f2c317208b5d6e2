/**
 * Issue 6: the CLI from the outside. Each testnet relays a real transaction end to end, and `down`
 * leaves no process behind (checked with ps).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesMentioning, runCli } from './test-support/cli.js';

const shapes = [
  { name: '1 layer', args: ['--layers', '1'] },
  { name: '3 layers × 2 mixes, 2 gateways', args: ['--layers', '3', '--nodes-per-layer', '2', '--gateways', '2'] },
  { name: '4 layers (the most a 5-hop Sphinx route allows)', args: ['--layers', '4'] },
];

describe.each(shapes)('mixnet testnet up $name', ({ args }) => {
  it('relays a transaction end to end, then `down` leaves no process', { timeout: 240_000 }, async () => {
    const state = mkdtempSync(join(tmpdir(), 'mixnet-cli-'));
    try {
      const up = await runCli(['testnet', 'up', ...args, '--mu', '5ms', '--state', state, '--detach', '--json']);
      expect(up.code, up.stderr).toBe(0);
      const info = JSON.parse(up.stdout) as { readyMs: number; processes: { role: string }[] };
      expect(info.processes.filter((p) => p.role === 'mix').length).toBeGreaterThan(0);
      process.stderr.write(`up ${args.join(' ')}: ready in ${info.readyMs} ms\n`);

      const tx = await runCli(['relay-tx', '--state', state, '--json', '--value', '0.25']);
      expect(tx.code, tx.stderr).toBe(0);
      const r = JSON.parse(tx.stdout) as { status: string; balanceBefore: string; balanceAfter: string; hops: number };
      expect(r.status).toBe('success');
      expect(Number(r.balanceAfter) - Number(r.balanceBefore)).toBeCloseTo(0.25, 6);
      expect(r.hops).toBe(Number(args[1]) + 1);
    } finally {
      const down = await runCli(['testnet', 'down', '--state', state]);
      expect(down.code, down.stderr).toBe(0);
    }
    expect(processesMentioning(state)).toEqual([]);
  });
});

describe('mixnet testnet up --layers 5', () => {
  it('is refused with a clear line: a Sphinx route has at most 5 hops, gateway included', async () => {
    const state = mkdtempSync(join(tmpdir(), 'mixnet-cli-'));
    const up = await runCli(['testnet', 'up', '--layers', '5', '--state', state, '--detach']);
    expect(up.code).toBe(2); // a usage error (see exit-codes.test.ts)
    expect(up.stderr.trim().split('\n')).toHaveLength(1);
    expect(up.stderr).toMatch(/--layers must be an integer from 1 to 4/);
  });
});
