/**
 * Issue 15: one exit-code rule (also in `mixnet --help`): 0 success, 1 a runtime failure, 2 a usage
 * error; every error is one line naming what is wrong, a missing file by its path, never raw ENOENT.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from './program.js';
import { runCli } from './test-support/cli.js';

const nowhere = join(tmpdir(), 'mixnet-no-such-testnet');

describe('exit codes and error lines', () => {
  it('--version prints the version and exits 0; --help documents the rule', async () => {
    const v = await runCli(['--version']);
    expect([v.code, v.stdout.trim()]).toEqual([0, VERSION]);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/1 {2}a runtime failure/);
    expect(help.stdout).toMatch(/2 {2}a usage error/);
  });

  it.each([
    [['--bogus'], /unknown option '--bogus'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['testnet', 'up', '--layers', '9', '--state', nowhere], /--layers must be an integer from 1 to 4, got 9/],
    [['testnet', 'up', '--workers', '65', '--state', nowhere], /--workers must be an integer from 0 to 64/],
    [['testnet', 'up', '--mix-cover', 'fast', '--state', nowhere], /--mix-cover must be a number/],
    [['simulate', '--layers', '9', '--out', nowhere], /--layers must be an integer from 1 to 4, got 9/],
    [['simulate', '--cover', 'maybe', '--out', nowhere], /--cover must be on or off/],
    [['analyze', '/tmp', '--sample', '2'], /--sample must be in \(0, 1\]/],
    [['receive', '--count', '0', '--state', nowhere], /--count must be an integer from 1/],
    [['relay-tx', '--to', 'bob', '--state', nowhere], /--to must be a 0x address/],
    [['testnet', 'up', '--dashboard-port', 'x', '--state', nowhere], /--dashboard-port must be a whole number/],
    [['dashboard', '--port', '70000', '--state', nowhere], /--port must be an integer from 0 to 65535/],
    [['dashboard', '--probe-rate', 'fast', '--state', nowhere], /--probe-rate must be a number/],
  ])('usage error %j exits 2', async (args, message) => {
    const r = await runCli(args as string[]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it.each([
    [['testnet', 'status', '--state', nowhere], /^mixnet: no testnet in /],
    [['send', '--to', 'self', '--message', 'x', '--state', nowhere], /^mixnet: no testnet in /],
    [['dashboard', '--state', nowhere], /^mixnet: no testnet in /],
    [['analyze', join(nowhere, 'trace')], /^mixnet: \S*mixnet-no-such-testnet\/trace: no such file or folder$/],
    [['run', 'mix', '--config', join(nowhere, 'mix.json')], /mix\.json: no such file or folder/],
  ])('runtime failure %j exits 1 with one readable line', async (args, message) => {
    const r = await runCli(args as string[]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr).not.toMatch(/ENOENT/);
  });

  it('simulate writes where it is told, by default under the git-ignored .mixnet/', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mixnet-sim-')), 'sim');
    const r = await runCli(['simulate', '--clients', '3', '--seconds', '2', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`to ${out}`);
    expect(r.stdout).toMatch(/next:\n {2}npx --yes pnpm@9 -s mixnet analyze /);
    const help = await runCli(['simulate', '--help']);
    expect(help.stdout).toMatch(/"\.mixnet\/sim"/);
  });
});
