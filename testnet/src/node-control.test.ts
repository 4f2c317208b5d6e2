/** kill|stop|start of one process of a running testnet (process runtime, real node processes). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthOf } from './health.js';
import { readState, type TestnetState } from './layout.js';
import { controlNode } from './node-control.js';
import { isAlive, isOurs } from './process-runtime.js';
import { downTestnet, upTestnet } from './testnet.js';

describe('testnet kill|stop|start NODE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-nodectl-'));
  let state: TestnetState;
  beforeAll(async () => {
    state = await upTestnet({ dir, layers: 2, chain: 'none', directory: false, logLevel: 'info', skipSmoke: true });
  });
  afterAll(async () => {
    await downTestnet(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  const entry = (id: string) => readState(dir)?.processes.find((p) => p.id === id);

  it('kill is a crash, start brings the same node back with the same config, stop is graceful', async () => {
    const before = entry('mix-1-1');
    await controlNode(dir, 'mix-1-1', 'kill');
    expect(isAlive(before?.pid)).toBe(false);
    expect(await healthOf(entry('mix-1-1') as NonNullable<ReturnType<typeof entry>>)).toBe('down');

    const started = await controlNode(dir, 'mix-1-1', 'start');
    const after = entry('mix-1-1');
    expect(started.pid).toBe(after?.pid);
    expect(after?.pid).not.toBe(before?.pid);
    expect(await healthOf(after as NonNullable<typeof after>)).toBe('up');
    // Its start time is recorded: `down` signals only a pid that is still the process started.
    expect(isOurs(after as NonNullable<typeof after>)).toBe(true);
    const argv = readFileSync(`/proc/${after?.pid}/cmdline`, 'utf8').split('\0');
    expect(argv).toEqual(expect.arrayContaining(['run', 'mix', '--config', before?.configPath as string]));

    const gw = entry('gateway-1');
    await controlNode(dir, 'gateway-1', 'stop');
    expect(isAlive(gw?.pid)).toBe(false);
    // SIGTERM, not SIGKILL: the node ran its shutdown (a SIGKILLed process logs nothing more).
    expect(readFileSync(gw?.logPath as string, 'utf8')).toMatch(/"signal":"SIGTERM".*shutting down/);
    expect(readFileSync(before?.logPath as string, 'utf8')).not.toMatch(/shutting down/);
    await controlNode(dir, 'gateway-1', 'start');
    expect(state.processes.length).toBe(readState(dir)?.processes.length);
  });

  it('refuses what makes no sense, naming the node', async () => {
    await expect(controlNode(dir, 'mix-9-9', 'kill')).rejects.toThrow(/no process "mix-9-9".*known: mix-1-1/);
    await expect(controlNode(dir, 'mix-2-1', 'start')).rejects.toThrow(/mix-2-1 is already running/);
    await controlNode(dir, 'mix-2-1', 'kill');
    await expect(controlNode(dir, 'mix-2-1', 'stop')).rejects.toThrow(/mix-2-1 is not running/);
  });
});
