/**
 * Issue 14 (#18): `testnet down` signals only the processes it started. A state's pid that now names
 * another process (reused after a crash or reboot: here a `sleep` with a wrong recorded start) is
 * reported as not ours and left alone; with the right start it is stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { healthOf } from './health.js';
import { type ProcessEntry, readState, type TestnetState, writeState } from './layout.js';
import { type ProcessStart, processStart, sameProcess } from './proc-start.js';
import { isAlive, isOurs } from './process-runtime.js';
import { downTestnet, liveProcesses } from './testnet.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** An unrelated live process, in its own process group as the runtime's are. */
function sleeper(): { child: ChildProcess; pid: number; start: ProcessStart } {
  const child = spawn('sleep', ['120'], { detached: true, stdio: 'ignore' });
  children.push(child);
  const pid = child.pid as number;
  const start = processStart(pid) as ProcessStart;
  expect(start).toBeDefined();
  return { child, pid, start };
}

const later = (s: ProcessStart): ProcessStart => ({ ...s, startTicks: String(BigInt(s.startTicks) + 7n) });

function stateWith(dir: string, entry: Partial<ProcessEntry>, cli?: { pid: number; started: ProcessStart }) {
  const state: TestnetState = {
    version: 1,
    runtime: 'process',
    createdAt: new Date().toISOString(),
    ...(cli ? { cliPid: cli.pid, cliStarted: cli.started } : {}),
    layers: 1,
    nodesPerLayer: 1,
    mu: 0,
    topologyPath: join(dir, 'topology.json'),
    processes: [
      { id: 'mix-1-1', role: 'mix', metricsUrl: 'http://127.0.0.1:9', logPath: join(dir, 'x.log'), ...entry },
    ],
  };
  writeState(dir, state);
  return state;
}

/** Still the same process, unsignalled, after any signal had time to land. */
async function untouched(s: { child: ChildProcess; pid: number; start: ProcessStart }): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
  expect(s.child.signalCode).toBeNull();
  expect(s.child.exitCode).toBeNull();
  expect(sameProcess(s.pid, s.start)).toBe(true);
}

describe.runIf(process.platform === 'linux')('pids recorded in a state (process runtime)', () => {
  it('isOurs: a live pid with another start time, another boot or no start is not ours', () => {
    const s = sleeper();
    expect(isAlive(s.pid)).toBe(true);
    expect(isOurs({ pid: s.pid, started: s.start })).toBe(true);
    expect(isOurs({ pid: s.pid, started: later(s.start) })).toBe(false);
    expect(isOurs({ pid: s.pid, started: { ...s.start, bootId: '00000000-0000-0000-0000-000000000000' } })).toBe(false);
    expect(isOurs({ pid: s.pid })).toBe(false);
  });

  it('downTestnet leaves alone a process that reused a recorded node pid or CLI pid', async () => {
    const node = sleeper();
    const cli = sleeper();
    const dir = mkdtempSync(join(tmpdir(), 'mixnet-pids-'));
    const state = stateWith(
      dir,
      { pid: node.pid, started: later(node.start) },
      { pid: cli.pid, started: later(cli.start) },
    );
    expect(liveProcesses(state)).toEqual([]);
    expect(await healthOf(state.processes[0] as ProcessEntry)).toBe('down');

    const down = await downTestnet(dir);
    expect(down.stopped).toEqual([]);
    expect(readState(dir)).toBeUndefined();
    await untouched(node);
    await untouched(cli);
  });

  it('downTestnet stops the process when the recorded start matches (the check is not a no-op)', async () => {
    const node = sleeper();
    const dir = mkdtempSync(join(tmpdir(), 'mixnet-pids-'));
    const state = stateWith(dir, { pid: node.pid, started: node.start });
    expect(liveProcesses(state).map((p) => p.id)).toEqual(['mix-1-1']);
    const exited = new Promise((r) => node.child.once('exit', r));
    expect((await downTestnet(dir)).stopped).toEqual(['mix-1-1']);
    await exited;
    expect(node.child.signalCode).toBe('SIGTERM');
  });
});
