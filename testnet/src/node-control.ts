/**
 * `mixnet testnet kill|stop|start NODE`: what operators do to one process of a running testnet.
 * kill is SIGKILL (a crash: nothing is flushed), stop is SIGTERM (graceful, SIGKILL after a grace),
 * start runs it again with the same config, keys and data folder. In the docker runtime these are
 * `docker kill`, `docker stop` and `docker start` of its container, which keeps its IP and mounts.
 */
import { execa } from 'execa';
import { startHardhat } from './chain.js';
import { containerRunning, dockerBin } from './docker-inspect.js';
import { waitHealthy } from './health.js';
import { type ProcessEntry, paths, readState, type TestnetState, writeState } from './layout.js';
import { hostMates } from './packing.js';
import { isAlive, isOurs, type StartedProcess, signalGroup, startRole, stopProcess } from './process-runtime.js';
import { TestnetError } from './testnet.js';

export type NodeAction = 'kill' | 'stop' | 'start';

export interface NodeControlOptions {
  /** How long `start` waits for the process to be healthy. */
  timeoutMs?: number;
  /** SIGTERM grace of `stop` before SIGKILL. */
  graceMs?: number;
}

export interface NodeControlResult {
  id: string;
  action: NodeAction;
  /** The new pid (process runtime, after start). */
  pid?: number;
  /**
   * In a packed testnet (packing.ts) the action applies to the node's whole host: its id, and every
   * node it took along (this one included).
   */
  host?: { id: string; nodes: string[] };
  at: number;
}

function find(state: TestnetState, dir: string, id: string): ProcessEntry {
  const p = state.processes.find((x) => x.id === id);
  if (!p) throw new TestnetError(`no process "${id}" in ${dir}; known: ${state.processes.map((x) => x.id).join(', ')}`);
  return p;
}

/** Still the process we started (a pid reused by another process does not count). */
const running = (p: ProcessEntry) => (p.container ? containerRunning(p.container) : isOurs(p));

/** Records a new process in its entry: pid and start time (what `down` checks before signalling). */
function record(p: ProcessEntry, s: StartedProcess): void {
  p.pid = s.pid;
  if (s.started) p.started = s.started;
  else delete p.started;
}

async function docker(args: string[]): Promise<void> {
  const r = await execa(dockerBin(), args, { reject: false });
  if (r.exitCode !== 0) throw new TestnetError(`docker ${args.join(' ')} failed: ${r.stderr}`);
}

export async function controlNode(
  dir: string,
  id: string,
  action: NodeAction,
  opts: NodeControlOptions = {},
): Promise<NodeControlResult> {
  const state = readState(dir);
  if (!state) throw new TestnetError(`no testnet in ${dir}`);
  const p = find(state, dir, id);
  const up = running(p);
  if (action !== 'start' && !up) throw new TestnetError(`${id} is not running`);
  if (action === 'start' && up) throw new TestnetError(`${id} is already running`);
  const at = Date.now();
  const mates = p.container ? [p] : hostMates(state.processes, p);
  const host = p.host && !p.container ? { host: { id: p.host, nodes: mates.map((m) => m.id) } } : {};
  if (action === 'kill') {
    if (p.container) await docker(['kill', p.container]);
    else {
      signalGroup(p.pid as number, 'SIGKILL');
      while (isAlive(p.pid)) await new Promise((r) => setTimeout(r, 10));
    }
    return { id, action, at, ...host };
  }
  if (action === 'stop') {
    if (p.container) await docker(['stop', '-t', String(Math.ceil((opts.graceMs ?? 8_000) / 1000)), p.container]);
    else await stopProcess(p, opts.graceMs);
    return { id, action, at, ...host };
  }
  if (p.container) await docker(['start', p.container]);
  else if (p.role === 'chain') {
    const url = new URL(p.url as string);
    record(p, startHardhat(paths(dir).chain, url.hostname, Number(url.port), p.logPath));
  } else if (p.host) {
    const h = state.hosts?.find((x) => x.id === p.host);
    if (!h) throw new TestnetError(`${id} runs in ${p.host}, which the state folder does not list`);
    const s = startRole('host', h.configPath, h.logPath);
    for (const m of mates) record(m, s);
  } else {
    if (!p.configPath) throw new TestnetError(`${id} has no config to start from`);
    record(p, startRole(p.role, p.configPath, p.logPath));
  }
  writeState(dir, state);
  try {
    const timeoutMs = opts.timeoutMs ?? (p.role === 'chain' ? 60_000 : 30_000 + 1_000 * (mates.length - 1));
    await Promise.all(mates.map((m) => waitHealthy(m, timeoutMs, () => running(m))));
  } catch (err) {
    throw new TestnetError((err as Error).message);
  }
  return { id, action, ...(p.pid !== undefined && !p.container ? { pid: p.pid } : {}), at, ...host };
}
