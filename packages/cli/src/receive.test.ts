/**
 * Issue 15: two shells talk through a testnet. `receive` prints its address and each message as it
 * arrives; `send --to self` shows the message coming back through every layer.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, processesMentioning, runCli } from './test-support/cli.js';

describe('mixnet receive and send', () => {
  it('a receiver in one shell prints what a sender in another sends it; send --to self shows it back', {
    timeout: 180_000,
  }, async () => {
    const state = mkdtempSync(join(tmpdir(), 'mixnet-recv-'));
    const identity = join(state, 'keys', 'alice.key');
    try {
      const up = await runCli([
        'testnet',
        'up',
        '--layers',
        '2',
        '--chain',
        'none',
        '--mu',
        '5ms',
        '--state',
        state,
        '--detach',
      ]);
      expect(up.code, up.stderr).toBe(0);

      const receiver = spawn(
        process.execPath,
        [CLI, 'receive', '--count', '2', '--json', '--identity', identity, '--state', state],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      receiver.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      receiver.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      const exited = new Promise<number | null>((r) => receiver.once('exit', r));
      const lines = () =>
        out
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      const deadline = Date.now() + 30_000;
      while (lines().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const address = lines()[0]?.address as string;
      expect(address).toMatch(/^[0-9a-f]{64}@gateway-1$/);
      // The key file keeps the address; it is private.
      expect(statSync(identity).mode & 0o777).toBe(0o600);

      for (const text of ['hello alice', 'über 🙂']) {
        const sent = await runCli(['send', '--to', address, '--message', text, '--state', state]);
        expect(sent.code, `${sent.stderr}\nreceiver: ${out}\n${err}`).toBe(0);
      }
      expect(await exited).toBe(0);
      expect(
        lines()
          .slice(1)
          .map((l) => l.text),
      ).toEqual(['hello alice', 'über 🙂']);

      const self = await runCli(['send', '--to', 'self', '--message', 'round trip', '--state', state]);
      expect(self.code, self.stderr).toBe(0);
      expect(self.stdout).toMatch(/received back after \d+ ms: round trip/);

      const bad = await runCli(['send', '--to', 'nobody@nowhere', '--message', 'x', '--state', state]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--to: /);
    } finally {
      await runCli(['testnet', 'down', '--state', state]);
    }
    expect(processesMentioning(state)).toEqual([]);
  });
});
