/** Issue 6: a testnet outlives the CLI and is managed from another shell through its state folder. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RELAY_NODE_FLAGS } from '@mixnet/node';
import { describe, expect, it } from 'vitest';
import { CLI, processesMentioning, runCli } from './test-support/cli.js';

interface StatusJson {
  processes: { id: string; role: string; health: string; pid?: number }[];
}

describe('testnet lifecycle', () => {
  it('status sees a killed node as down; a second up says it is running; down after a killed CLI cleans up', {
    timeout: 240_000,
  }, async () => {
    const state = mkdtempSync(join(tmpdir(), 'mixnet-life-'));
    // A foreground `up` (live counters), as a user runs it in one terminal.
    const cli = spawn(process.execPath, [CLI, 'testnet', 'up', '--layers', '2', '--chain', 'none', '--state', state], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    try {
      const deadline = Date.now() + 60_000;
      const ready = () => {
        const file = join(state, 'state.json');
        return existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).readyMs !== undefined;
      };
      while (!ready()) {
        if (Date.now() > deadline || cli.exitCode !== null) throw new Error(`up did not become ready:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }

      const again = await runCli(['testnet', 'up', '--state', state, '--chain', 'none', '--detach']);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already running/);

      const before = JSON.parse((await runCli(['testnet', 'status', '--state', state, '--json'])).stdout) as StatusJson;
      expect(before.processes.every((p) => p.health === 'up')).toBe(true);
      // Relays run with RELAY_NODE_FLAGS (process-flags.ts), as the node bench measures them.
      const argvOf = (role: string) => {
        const pid = before.processes.find((p) => p.role === role)?.pid as number;
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      };
      for (const role of ['mix', 'gateway'])
        expect(argvOf(role)).toEqual(expect.arrayContaining([...RELAY_NODE_FLAGS]));
      const victim = before.processes.find((p) => p.id === 'mix-2-1');
      process.kill(victim?.pid as number, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      const after = JSON.parse((await runCli(['testnet', 'status', '--state', state, '--json'])).stdout) as StatusJson;
      expect(after.processes.find((p) => p.id === 'mix-2-1')?.health).toBe('down');
      expect(after.processes.filter((p) => p.health === 'up').length).toBe(before.processes.length - 1);
      const table = await runCli(['testnet', 'status', '--state', state]);
      expect(table.stdout).toMatch(/mix-2-1\s+down/);

      // The CLI dies without tearing anything down…
      cli.kill('SIGKILL');
      await new Promise((r) => cli.once('exit', r));
      expect(processesMentioning(state).length).toBeGreaterThan(0);
      // …and `down` from another shell still stops everything.
      const down = await runCli(['testnet', 'down', '--state', state, '--json']);
      expect(down.code, down.stderr).toBe(0);
      expect(processesMentioning(state)).toEqual([]);
      const status = await runCli(['testnet', 'status', '--state', state]);
      expect(status.code).toBe(1);
      expect(status.stderr).toMatch(/no testnet/);
    } finally {
      if (cli.exitCode === null) cli.kill('SIGKILL');
      await runCli(['testnet', 'down', '--state', state]);
    }
  });

  it('errors are one clear line with a non-zero exit', async () => {
    const bad = await runCli(['testnet', 'up', '--layers', 'three', '--state', join(tmpdir(), 'x')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--layers must be a whole number/);
    const none = await runCli(['relay-tx', '--state', join(tmpdir(), 'no-such-testnet')]);
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toMatch(/^mixnet: no testnet in .*no-such-testnet/);
    const role = await runCli(['run', 'router', '--config', '/dev/null']);
    expect(role.code).toBe(2);
  });
});
