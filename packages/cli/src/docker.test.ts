/**
 * Issue 6: the docker runtime relays a transaction. .ci/run prepares Docker first
 * (testnet/scripts/docker-up.sh); where no engine can start, this says why and is left out, except
 * in CI, where a missing engine is a failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './test-support/cli.js';

const docker = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
const available = spawnSync(docker, ['info'], { stdio: 'ignore', timeout: 15_000 }).status === 0;
if (!available && !process.env.CI)
  process.stderr.write(
    '\n!! no Docker engine answers: the docker runtime test is NOT run (run testnet/scripts/docker-up.sh to start one)\n\n',
  );

describe.runIf(available || process.env.CI)('mixnet testnet up --runtime docker', () => {
  it('relays a transaction through containers, shows them in status, and down removes them', {
    timeout: 300_000,
  }, async () => {
    expect(available, 'CI needs a Docker engine: .ci/run starts one with testnet/scripts/docker-up.sh').toBe(true);
    const state = mkdtempSync(join(tmpdir(), 'mixnet-docker-'));
    try {
      const up = await runCli(
        ['testnet', 'up', '--runtime', 'docker', '--layers', '3', '--state', state, '--detach', '--json'],
        280_000,
      );
      expect(up.code, up.stderr).toBe(0);
      const info = JSON.parse(up.stdout) as { runtime: string; processes: { container?: string }[] };
      expect(info.runtime).toBe('docker');
      expect(info.processes.every((p) => typeof p.container === 'string')).toBe(true);

      const tx = await runCli(['relay-tx', '--state', state, '--json']);
      expect(tx.code, tx.stderr).toBe(0);
      expect((JSON.parse(tx.stdout) as { status: string }).status).toBe('success');

      const status = JSON.parse((await runCli(['testnet', 'status', '--state', state, '--json'])).stdout) as {
        processes: { health: string }[];
      };
      expect(status.processes.every((p) => p.health === 'up')).toBe(true);
    } finally {
      const down = await runCli(['testnet', 'down', '--state', state]);
      expect(down.code, down.stderr).toBe(0);
    }
    const left = spawnSync(docker, ['ps', '-aq', '--filter', 'label=mixnet.testnet'], {
      encoding: 'utf8',
    }).stdout.trim();
    expect(left).toBe('');
  });
});
