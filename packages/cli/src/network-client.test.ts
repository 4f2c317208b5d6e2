/**
 * The CLI's network: a testnet's directory from its state, or `--directory URL --directory-key HEX`;
 * the topology file as the fallback when the directory is down, said in one stderr line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TopologyGateway, TopologyNode } from '@mixnet/sphinx/wire';
import { type TestnetState, writeState } from '@mixnet/testnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The client package's test helpers: a directory stand-in and in-process relays.
import { startTestDirectory, type TestDirectory } from '../../client/src/test-support/directory.js';
import { type RunningRelay, startGateway, startMix } from '../../client/src/test-support/relays.js';
import { resolveNetwork } from './network-client.js';
import { CliError } from './output.js';
import { runCli } from './test-support/cli.js';

function stateWith(extra: Partial<TestnetState> & { directory?: { url: string; publicKey: string } }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-cli-net-'));
  const state = {
    version: 1,
    runtime: 'process',
    createdAt: new Date().toISOString(),
    layers: 3,
    nodesPerLayer: 1,
    mu: 2,
    topologyPath: join(dir, 'topology.json'),
    processes: [],
    ...extra,
  } as TestnetState;
  writeState(dir, state);
  return dir;
}

describe('resolveNetwork', () => {
  it('refuses half a directory flag pair or a bad key, with exit code 2', () => {
    const half = (() => {
      try {
        resolveNetwork({ directory: 'http://127.0.0.1:1' });
      } catch (e) {
        return e;
      }
    })();
    expect(half).toBeInstanceOf(CliError);
    expect((half as CliError).message).toMatch(/--directory and --directory-key go together/);
    expect(() => resolveNetwork({ directory: 'http://x', directoryKey: 'abc' })).toThrow(/--directory-key/);
  });

  it("takes the testnet's directory from its state when there is one, else its topology file", () => {
    const directory = { url: 'http://127.0.0.1:9', publicKey: 'ab'.repeat(32) };
    const withDir = resolveNetwork({ state: stateWith({ directory }) });
    expect(withDir.directory).toEqual(directory);
    expect(withDir.topologyPath).toMatch(/topology\.json$/);
    const without = resolveNetwork({ state: stateWith({}) });
    expect(without.directory).toBeUndefined();
  });
});

describe('mixnet send through a directory', () => {
  let mixes: RunningRelay<TopologyNode>[];
  let gateway: RunningRelay<TopologyGateway>;
  let dir: TestDirectory;

  beforeAll(async () => {
    mixes = await Promise.all([startMix('mix-1', 1), startMix('mix-2', 2), startMix('mix-3', 3)]);
    gateway = await startGateway('gw-1');
    dir = await startTestDirectory();
    dir.publish({ layers: mixes.map((m) => [m.entry]), gateways: [gateway.entry], serviceProviders: [] }, { epoch: 7 });
  });
  afterAll(async () => {
    await Promise.all([...mixes, gateway].map((r) => r.stop()));
    await dir.stop();
  });

  it('--directory and --directory-key: a remote network, no state folder', { timeout: 60_000 }, async () => {
    const run = await runCli([
      'send',
      ...['--directory', dir.url, '--directory-key', dir.publicKey],
      ...['--to', 'self', '--message', 'hello', '--json'],
    ]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { from: string; hops: number };
    expect(out.from).toMatch(/@gw-1$/);
    expect(out.hops).toBe(4);
    expect(run.stderr).toBe('');
  });

  it('with the directory down, falls back to the topology file and says so in one line', {
    timeout: 60_000,
  }, async () => {
    const state = stateWith({ directory: { url: dir.url, publicKey: dir.publicKey } });
    writeFileSync(
      join(state, 'topology.json'),
      JSON.stringify({ layers: mixes.map((m) => [m.entry]), gateways: [gateway.entry], serviceProviders: [] }),
    );
    await dir.stop();
    try {
      const run = await runCli(['send', '--state', state, '--to', 'self', '--message', 'offline']);
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/directory unreachable .*keeping the topology file/);
    } finally {
      await dir.start();
    }
  });
});
