/**
 * `mixnet testnet fault set|clear|list` and `testnet pause|resume|restart` (issue 17): live link
 * faults on a running testnet's nodes (their /admin/faults) and process faults.
 */
import {
  clearNodeFaults,
  type FaultRule,
  getNodeFaults,
  type NodeFaultsResult,
  pauseNode,
  relayIdsOf,
  restartNode,
  resumeNode,
  setNodeFaults,
  stateDir,
} from '@mixnet/testnet';
import type { Command } from 'commander';
import { CliError, parseNumberFlag, printJson, table } from '../output.js';

interface SetFlags {
  peer?: string[];
  direction?: string;
  latency?: string;
  jitter?: string;
  loss?: string;
  corrupt?: string;
  bandwidth?: string;
  partition?: boolean;
  for?: string;
  id?: string;
  add?: boolean;
  state?: string;
  json?: boolean;
}

const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const collect = (v: string, prev: string[] = []) => [...prev, v];

function nodeArg(node: string): void {
  if (!NODE_ID.test(node)) throw new CliError(`NODE must be a process id or "all", got "${node}"`, 2);
}

/** `all`: every mix and gateway; else the one node. */
const targets = (dir: string, node: string) => (node === 'all' ? relayIdsOf(dir) : [node]);

/** The rule the flags describe; `now` for --for. */
export function ruleFromFlags(f: SetFlags, now: number): FaultRule {
  const num = (v: string | undefined, flag: string, max: number) =>
    v === undefined ? undefined : parseNumberFlag(v, flag, { min: 0, max });
  const direction = f.direction ?? 'both';
  if (direction !== 'in' && direction !== 'out' && direction !== 'both')
    throw new CliError(`--direction must be in, out or both, got "${direction}"`, 2);
  const latencyMs = num(f.latency, '--latency', 600_000);
  const jitterMs = num(f.jitter, '--jitter', 600_000);
  const lossRate = num(f.loss, '--loss', 1);
  const corruptRate = num(f.corrupt, '--corrupt', 1);
  const bandwidthBps = num(f.bandwidth, '--bandwidth', 1e12);
  const forSec = num(f.for, '--for', 31 * 24 * 3600);
  if (bandwidthBps === 0) throw new CliError('--bandwidth must be above 0 bytes/s', 2);
  const rule: FaultRule = {
    ...(f.id ? { id: f.id } : {}),
    ...(f.peer?.length ? { peers: f.peer } : {}),
    direction,
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(jitterMs !== undefined ? { jitterMs } : {}),
    ...(lossRate !== undefined ? { lossRate } : {}),
    ...(corruptRate !== undefined ? { corruptRate } : {}),
    ...(bandwidthBps !== undefined ? { bandwidthBps } : {}),
    ...(f.partition ? { partition: true } : {}),
    ...(forSec !== undefined ? { expiresAt: Math.round(now + forSec * 1000) } : {}),
  };
  const effects = ['latencyMs', 'jitterMs', 'lossRate', 'corruptRate', 'bandwidthBps', 'partition'];
  if (!effects.some((k) => k in rule))
    throw new CliError(
      'say what the fault does: --latency, --jitter, --loss, --corrupt, --bandwidth or --partition',
      2,
    );
  return rule;
}

/** "loss 0.1, +50±10 ms" — what a rule does, for tables. */
export function describeRule(r: FaultRule): string {
  const parts: string[] = [];
  if (r.partition) parts.push('partition');
  if (r.lossRate !== undefined) parts.push(`loss ${r.lossRate}`);
  if (r.latencyMs !== undefined || r.jitterMs !== undefined)
    parts.push(`+${r.latencyMs ?? 0}${r.jitterMs ? `±${r.jitterMs}` : ''} ms`);
  if (r.corruptRate !== undefined) parts.push(`corrupt ${r.corruptRate}`);
  if (r.bandwidthBps !== undefined) parts.push(`${r.bandwidthBps} B/s`);
  return parts.join(', ');
}

/** One row per rule of each node (base rules only with `base`), with the time left. */
export function faultRows(results: NodeFaultsResult[], opts: { base?: boolean } = {}) {
  const rows: Record<string, string>[] = [];
  for (const r of results) {
    const rules = [
      ...(opts.base ? r.base.map((rule) => ({ rule, source: 'config' })) : []),
      ...r.rules.map((rule) => ({ rule, source: 'live' })),
    ];
    if (rules.length === 0)
      rows.push({ node: r.id, source: '', rule: '', peers: '', dir: '', does: '(none)', left: '' });
    for (const { rule, source } of rules)
      rows.push({
        node: r.id,
        source,
        rule: rule.id ?? '',
        peers: rule.peers ? rule.peers.join(' ') : 'all',
        dir: rule.direction ?? 'both',
        does: describeRule(rule),
        left: rule.expiresAt === undefined ? '' : `${Math.max(0, (rule.expiresAt - r.now) / 1000).toFixed(1)} s`,
      });
  }
  return rows;
}

const PROCESS_FAULTS = {
  pause: {
    run: pauseNode,
    done: 'paused',
    help: 'freeze one process (SIGSTOP; docker pause): sockets open, nothing moves',
  },
  resume: { run: resumeNode, done: 'resumed', help: 'unfreeze a paused process (SIGCONT; docker unpause)' },
  restart: {
    run: restartNode,
    done: 'restarted',
    help: 'stop one process gracefully and start it again (same keys, config, data; live faults are lost)',
  },
} as const;

export function registerTestnetFaults(testnet: Command): void {
  const fault = testnet.command('fault').description('live link faults on running nodes (issue 17)');

  fault
    .command('set <node>')
    .description('set a link fault rule on a mix or gateway ("all": every one); replaces its live rules unless --add')
    .option('--peer <id>', 'only the links to/from this node (repeatable; default every link)', collect)
    .option('--direction <dir>', 'in, out or both', 'both')
    .option('--latency <ms>', 'added delay per packet (applied where packets leave)')
    .option('--jitter <ms>', 'uniform ± spread on the delay (order is kept)')
    .option('--loss <p>', 'drop probability 0–1 (counted as fault_loss)')
    .option('--corrupt <p>', 'probability 0–1 of flipping a header byte (the next hop drops it as bad_mac)')
    .option('--bandwidth <bps>', 'cap in bytes/s per link (token bucket)')
    .option('--partition', 'drop everything on the matched links (counted as fault_partition)')
    .option('--for <seconds>', 'remove the rule after this long')
    .option('--id <name>', 'a name for the rule')
    .option('--add', 'add to the live rules instead of replacing them')
    .option('--state <dir>', 'state folder')
    .option('--json', 'machine-readable output')
    .action(async (node: string, f: SetFlags) => {
      nodeArg(node);
      const dir = stateDir(f.state);
      const rule = ruleFromFlags(f, Date.now());
      const results: NodeFaultsResult[] = [];
      for (const id of targets(dir, node)) {
        const before = f.add ? (await getNodeFaults(dir, id)).rules : [];
        results.push(await setNodeFaults(dir, id, [...before, rule]));
      }
      if (f.json) printJson({ stateDir: dir, nodes: results });
      else process.stdout.write(`${table(faultRows(results))}\n`);
    });

  fault
    .command('clear <node>')
    .description('remove the live fault rules of a node ("all": every one); config rules stay')
    .option('--state <dir>', 'state folder')
    .option('--json', 'machine-readable output')
    .action(async (node: string, f: { state?: string; json?: boolean }) => {
      nodeArg(node);
      const dir = stateDir(f.state);
      const results: NodeFaultsResult[] = [];
      for (const id of targets(dir, node)) results.push(await clearNodeFaults(dir, id));
      if (f.json) printJson({ stateDir: dir, nodes: results });
      else process.stdout.write(`cleared the live fault rules of ${results.map((r) => r.id).join(', ')}\n`);
    });

  fault
    .command('list')
    .description('the fault rules of every mix and gateway, with the time left')
    .option('--base', 'also the rules from the configs (links.emulation, --latency geo)')
    .option('--state <dir>', 'state folder')
    .option('--json', 'machine-readable output')
    .action(async (f: { base?: boolean; state?: string; json?: boolean }) => {
      const dir = stateDir(f.state);
      const results: NodeFaultsResult[] = [];
      const unreachable: string[] = [];
      for (const id of relayIdsOf(dir)) {
        try {
          results.push(await getNodeFaults(dir, id));
        } catch (err) {
          unreachable.push(`${id}: ${(err as Error).message}`);
        }
      }
      if (f.json) printJson({ stateDir: dir, nodes: results, unreachable });
      else {
        process.stdout.write(`${table(faultRows(results, f.base ? { base: true } : {}))}\n`);
        for (const u of unreachable) process.stderr.write(`not reachable: ${u}\n`);
      }
    });

  for (const [action, spec] of Object.entries(PROCESS_FAULTS))
    testnet
      .command(`${action} <node>`)
      .description(spec.help)
      .option('--state <dir>', 'state folder')
      .option('--json', 'machine-readable output')
      .action(async (node: string, f: { state?: string; json?: boolean }) => {
        if (!NODE_ID.test(node)) throw new CliError(`NODE must be a process id, got "${node}"`, 2);
        const dir = stateDir(f.state);
        const r = await spec.run(dir, node);
        if (f.json) printJson({ stateDir: dir, ...r });
        else process.stdout.write(`${node}: ${spec.done}\n`);
      });
}
