/**
 * Faults on a running testnet (issue 17), for `mixnet testnet fault|pause|resume|restart` and
 * `mixnet chaos`: link fault rules through each node's /admin/faults (with the testnet's admin
 * token, so it works from outside a container too), and process faults: pause (SIGSTOP to the
 * process group / `docker pause`), resume (SIGCONT / `docker unpause`), restart (stop, then start
 * with the same config, keys and data; live fault rules are not kept across it).
 */
import { readFileSync } from 'node:fs';
import { FAULTS_PATH, type FaultRule, type FaultsAnswer, faultRulesBodySchema } from '@mixnet/node';
import { execa } from 'execa';
import { containerRunning, dockerBin } from './docker-inspect.js';
import { type ProcessEntry, readState, type TestnetState } from './layout.js';
import { controlNode, type NodeControlOptions } from './node-control.js';
import { isOurs, signalGroup } from './process-runtime.js';
import { TestnetError } from './testnet.js';

export type { FaultRule, FaultsAnswer };

/** A rule set refused before it was sent, or by the node: `field` names the bad one. */
export class FaultRuleError extends TestnetError {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'FaultRuleError';
  }
}

export interface NodeFaultsResult extends FaultsAnswer {
  id: string;
}

const RELAY_ROLES = new Set(['mix', 'gateway']);
const REQUEST_TIMEOUT_MS = 10_000;

function load(stateDir: string): TestnetState {
  const state = readState(stateDir);
  if (!state) throw new TestnetError(`no testnet in ${stateDir}`);
  return state;
}

function entry(state: TestnetState, stateDir: string, id: string): ProcessEntry {
  const p = state.processes.find((x) => x.id === id);
  if (!p)
    throw new TestnetError(`no process "${id}" in ${stateDir}; known: ${state.processes.map((x) => x.id).join(', ')}`);
  return p;
}

function relayEntry(state: TestnetState, stateDir: string, id: string): ProcessEntry {
  const p = entry(state, stateDir, id);
  if (!RELAY_ROLES.has(p.role))
    throw new TestnetError(`${id} is a ${p.role}: link faults are set on mixes and gateways`);
  return p;
}

/** The relays (mixes and gateways) of a testnet, for `fault list` and scenarios naming "all". */
export function relayIdsOf(stateDir: string): string[] {
  return load(stateDir)
    .processes.filter((p) => RELAY_ROLES.has(p.role))
    .map((p) => p.id);
}

/** Checks rules as the node will (same schema): a FaultRuleError names the field (`rules.0.lossRate`). */
export function checkFaultRules(rules: unknown): FaultRule[] {
  const parsed = faultRulesBodySchema.safeParse({ rules });
  if (parsed.success) return parsed.data.rules;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') || 'rules';
  throw new FaultRuleError(`${field}: ${issue?.message ?? 'invalid'}`, field);
}

async function adminRequest(
  state: TestnetState,
  p: ProcessEntry,
  method: 'GET' | 'PUT' | 'DELETE',
  body?: unknown,
): Promise<NodeFaultsResult> {
  const token = state.nodeAdminTokenFile ? readFileSync(state.nodeAdminTokenFile, 'utf8').trim() : undefined;
  const url = `${p.metricsUrl}${FAULTS_PATH}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new TestnetError(`${p.id}: ${method} ${url} failed: ${(err as Error).message} (is it running, or paused?)`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TestnetError(`${p.id}: ${method} ${url}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (res.status === 400) {
    const { error, field } = json as { error?: string; field?: string };
    throw new FaultRuleError(`${p.id}: ${error ?? 'bad rules'}`, field ?? 'rules');
  }
  if (!res.ok)
    throw new TestnetError(`${p.id}: ${method} ${url}: HTTP ${res.status}: ${(json as { error?: string }).error}`);
  return { id: p.id, ...(json as FaultsAnswer) };
}

/** Replaces node `nodeId`'s live fault rules (its config's base rules stay). */
export async function setNodeFaults(
  stateDir: string,
  nodeId: string,
  rules: readonly FaultRule[],
): Promise<NodeFaultsResult> {
  const checked = checkFaultRules(rules);
  const state = load(stateDir);
  return adminRequest(state, relayEntry(state, stateDir, nodeId), 'PUT', { rules: checked });
}

export async function getNodeFaults(stateDir: string, nodeId: string): Promise<NodeFaultsResult> {
  const state = load(stateDir);
  return adminRequest(state, relayEntry(state, stateDir, nodeId), 'GET');
}

export async function clearNodeFaults(stateDir: string, nodeId: string): Promise<NodeFaultsResult> {
  const state = load(stateDir);
  return adminRequest(state, relayEntry(state, stateDir, nodeId), 'DELETE');
}

export interface ProcessFaultResult {
  id: string;
  action: 'pause' | 'resume' | 'restart';
  at: number;
}

async function docker(args: string[]): Promise<void> {
  const r = await execa(dockerBin(), args, { reject: false });
  if (r.exitCode !== 0) throw new TestnetError(`docker ${args.join(' ')} failed: ${r.stderr}`);
}

function runningEntry(stateDir: string, nodeId: string): ProcessEntry {
  const p = entry(load(stateDir), stateDir, nodeId);
  const up = p.container ? containerRunning(p.container) : isOurs(p);
  if (!up) throw new TestnetError(`${nodeId} is not running`);
  return p;
}

/** Freezes a process (SIGSTOP to its group; `docker pause`): its sockets stay open, nothing moves. */
export async function pauseNode(stateDir: string, nodeId: string): Promise<ProcessFaultResult> {
  const p = runningEntry(stateDir, nodeId);
  const at = Date.now();
  if (p.container) await docker(['pause', p.container]);
  else {
    signalGroup(p.pid as number, 'SIGSTOP');
    await untilStopped(p.pid as number, true);
  }
  return { id: nodeId, action: 'pause', at };
}

export async function resumeNode(stateDir: string, nodeId: string): Promise<ProcessFaultResult> {
  const p = runningEntry(stateDir, nodeId);
  const at = Date.now();
  if (p.container) await docker(['unpause', p.container]);
  else {
    signalGroup(p.pid as number, 'SIGCONT');
    await untilStopped(p.pid as number, false);
  }
  return { id: nodeId, action: 'resume', at };
}

/** The process state from /proc (after the comm field, which may hold spaces); undefined off Linux or once gone. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/**
 * kill() returns before the kernel has stopped (or continued) the target, so a caller reading the
 * process right after would race it: wait (bounded) until /proc shows the state, so "paused" means frozen.
 */
async function untilStopped(pid: number, stopped: boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = procState(pid);
    if (state === undefined || (state === 'T') === stopped) return;
    if (Date.now() > deadline)
      throw new TestnetError(`pid ${pid} did not ${stopped ? 'stop' : 'continue'} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Graceful stop, then start (waits until healthy). A paused process is resumed first. */
export async function restartNode(
  stateDir: string,
  nodeId: string,
  opts: NodeControlOptions = {},
): Promise<ProcessFaultResult> {
  const p = runningEntry(stateDir, nodeId);
  const at = Date.now();
  if (p.container) await execa(dockerBin(), ['unpause', p.container], { reject: false });
  else signalGroup(p.pid as number, 'SIGCONT');
  await controlNode(stateDir, nodeId, 'stop', opts);
  await controlNode(stateDir, nodeId, 'start', opts);
  return { id: nodeId, action: 'restart', at };
}
