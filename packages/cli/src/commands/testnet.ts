/** `mixnet testnet up|status|logs|down` (and scale|kill|stop|start in testnet-control.ts). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  counters,
  downTestnet,
  fetchStatus,
  paths,
  readState,
  stateDir,
  type TestnetState,
  testnetStatus,
  upTestnet,
} from '@mixnet/testnet';
import type { Command } from 'commander';
import { hint, nextBlock, stateArgs } from '../hints.js';
import { formatLogLine } from '../log-format.js';
import {
  CliError,
  parseDuration,
  parseIntFlag,
  parseNumberFlag,
  printJson,
  progress,
  progressWithHeartbeat,
  table,
  usageError,
} from '../output.js';
import { DEFAULT_DASHBOARD_PORT, serveDashboard } from './dashboard.js';
import { epochLine, registerTestnetControl, statusRows } from './testnet-control.js';
import { registerTestnetFaults } from './testnet-faults.js';
import { parsePullPolicy, registerTestnetManifests } from './testnet-manifests.js';

interface UpFlags {
  layers: string;
  active?: string;
  anonymityTarget?: string;
  minWidth: string;
  maxWidth: string;
  muMin: string;
  muMax: string;
  activePerLayer?: string;
  nodesPerLayer?: string;
  standby: string;
  gateways: string;
  standbyGateways: string;
  epoch: string;
  directory: boolean;
  mu: string;
  runtime: string;
  chain: string;
  state?: string;
  detach?: boolean;
  json?: boolean;
  workers: string;
  mixCover: string;
  loss?: string;
  latency: string;
  trace?: string;
  dashboard: boolean;
  dashboardPort?: string;
  nodesPerProcess: string;
  context?: string;
  namespace?: string;
  image?: string;
  pullPolicy?: string;
  spread?: boolean;
  nodeAddress?: string;
}

/** What a runtime runs: processes, or containers. */
const unitOf = (state: TestnetState) =>
  state.runtime === 'docker' ? 'containers' : state.runtime === 'kubernetes' ? 'pods' : 'processes';

/** Stops the testnet of `dir` with its runtime's `down`. */
async function downAny(dir: string, state: TestnetState | undefined): Promise<{ stopped: string[] }> {
  if (state?.runtime === 'docker') return (await import('@mixnet/testnet/docker')).downDocker(dir);
  if (state?.runtime === 'kubernetes') return (await import('@mixnet/testnet/kubernetes')).downKubernetes(dir);
  return downTestnet(dir);
}

/** The `next:` hints after `up`: runnable as printed (hints.ts). */
export function upHints(state: Pick<TestnetState, 'serviceProvider'>, stateFlag: string | undefined): string[] {
  const s = stateArgs(stateFlag);
  return [
    ...(state.serviceProvider ? [hint(['relay-tx', ...s], 'a transaction through the mixnet')] : []),
    hint(['send', '--to', 'self', '--message', 'hi', ...s], 'a message through every layer and back'),
    hint(['testnet', 'status', ...s]),
    hint(['testnet', 'logs', ...s], 'or: testnet logs <id>'),
    hint(['testnet', 'down', ...s]),
  ];
}

function summaryRows(state: TestnetState) {
  return state.processes.map((p) => ({
    role: p.role,
    layer: p.layer ?? '',
    id: p.id,
    address: p.address ?? p.url ?? '',
    metrics: p.role === 'chain' ? '' : `${p.metricsUrl}/metrics`,
  }));
}

async function liveLoop(dir: string, state: TestnetState, onStop?: () => Promise<void>): Promise<void> {
  const relays = state.processes.filter((p) => p.role === 'mix' || p.role === 'gateway');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    progress('stopping the testnet…');
    await onStop?.().catch(() => {});
    const { stopped } = await downAny(dir, state);
    progress(`stopped ${stopped.length} ${unitOf(state)}`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  const tty = process.stderr.isTTY;
  for (;;) {
    await new Promise((r) => setTimeout(r, 2_000));
    if (stopping) return;
    const parts: string[] = [];
    let down = 0;
    for (const p of relays) {
      const c = await counters(p);
      if (Object.keys(c).length === 0) down++;
      parts.push(
        `${p.id} in ${c.packets_received ?? 0} out ${(c.packets_forwarded ?? 0) + (c.packets_delivered ?? 0)}`,
      );
    }
    const epoch = state.directory
      ? await fetchStatus(state.directory, 1_000).then(
          (e) => `epoch ${e.epoch ?? '–'}  `,
          () => 'directory down  ',
        )
      : '';
    const line = `${new Date().toISOString().slice(11, 19)}  ${epoch}${parts.join(' | ')}${down ? `  (${down} not answering)` : ''}`;
    process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }
}

export function registerTestnet(program: Command): void {
  const testnet = program.command('testnet').description('bring up, watch and stop a local mixnet');

  testnet
    .command('up')
    .description('generate and start a testnet: mixes, gateways, a service provider and a chain')
    .option('--layers <n>', 'mix layers (1–4)', '3')
    .option('--active-per-layer <n>', 'active mixes per layer (default 1)')
    .option('--nodes-per-layer <n>', 'alias of --active-per-layer')
    .option(
      '--active <auto|n>',
      'auto: the directory sizes the active set and publishes μ each epoch for --anonymity-target (docs/directory.md §7); n: as --active-per-layer',
    )
    .option('--anonymity-target <bits>', 'with --active auto: the exit entropy to hold, in bits')
    .option('--min-width <n>', 'with --active auto: least active mixes per layer', '1')
    .option('--max-width <n>', 'with --active auto: most active mixes per layer (that many per layer run)', '2')
    .option('--mu-min <duration>', 'with --active auto: least μ published', '1ms')
    .option('--mu-max <duration>', 'with --active auto: largest μ published', '200ms')
    .option('--standby <m>', 'standby mixes: running and monitored, promoted when an active one fails', '0')
    .option('--gateways <g>', 'gateways (all run)', '1')
    .option('--standby-gateways <k>', 'how many of the gateways are standby', '0')
    .option('--epoch <duration>', "the directory's epoch, e.g. 20s", '20s')
    .option('--no-directory', 'no directory: a static network from topology.json (no standby, no healing)')
    .option('--mu <duration>', 'mean per-hop delay (Exp), e.g. 15ms', '15ms')
    .option('--runtime <runtime>', 'process, docker or kubernetes (the cluster of your kubeconfig)', 'process')
    .option('--context <name>', 'kubernetes: the kubeconfig context (default: its current one)')
    .option('--namespace <ns>', 'kubernetes: the namespace (created if missing; default mixnet)')
    .option('--image <image>', 'kubernetes: the image every pod runs (default mixnet-testnet, loaded into the nodes)')
    .option('--pull-policy <policy>', 'kubernetes: Never, IfNotPresent or Always (default: Never for mixnet-testnet)')
    .option('--spread', "kubernetes: spread each layer over the cluster's nodes (no node hosts a whole layer)")
    .option(
      '--node-address <host>',
      'kubernetes: where clients outside dial NodePorts (default: a Ready node’s InternalIP)',
    )
    .option('--chain <chain>', 'hardhat, none, or the URL of a JSON-RPC node', 'hardhat')
    .option('--workers <n>', 'worker threads per mix (0–64; 0 = Sphinx on the main thread)', '1')
    .option(
      '--nodes-per-process <n>',
      'mixes and gateways per process (node host sharing one loop and worker pool); auto: 1 up to 20 relays, at most 40 above',
      'auto',
    )
    .option('--mix-cover <hz>', 'loop cover rate of each mix in packets/s (Loopix λ_M), 0 = off', '0')
    .option('--loss <rate>', 'emulated packet loss on every hop (0–1), for experiments')
    .option(
      '--latency <model>',
      'none, or geo: nodes in 6 regions with inter-region delays (testnet/README.md)',
      'none',
    )
    .option('--trace <dir>', 'trace mode: every node and the service provider write JSON lines here (ANONYMITY.md)')
    .option('--state <dir>', 'state folder (default .mixnet/testnet)')
    .option('--dashboard-port <n>', `port of the live dashboard (default ${DEFAULT_DASHBOARD_PORT}, else any free one)`)
    .option('--no-dashboard', 'no live dashboard (with --detach there is none: run `mixnet dashboard`)')
    .option('--detach', 'return once ready and leave the network running')
    .option('--json', 'machine-readable output')
    .action(async (f: UpFlags) => {
      const dir = stateDir(f.state);
      if (f.runtime !== 'process' && f.runtime !== 'docker' && f.runtime !== 'kubernetes')
        throw usageError(`--runtime must be process, docker or kubernetes, got "${f.runtime}"`);
      const kubeFlags = ['context', 'namespace', 'image', 'pullPolicy', 'spread', 'nodeAddress'] as const;
      const misplaced = kubeFlags.filter((k) => f[k] !== undefined);
      if (f.runtime !== 'kubernetes' && misplaced.length > 0)
        throw usageError(
          `--${misplaced[0]?.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --runtime kubernetes`,
        );
      const pullPolicy = f.pullPolicy === undefined ? undefined : parsePullPolicy(f.pullPolicy);
      const latency = f.latency.toLowerCase();
      if (latency !== 'none' && latency !== 'geo')
        throw usageError(`--latency must be none or geo, got "${f.latency}"`);
      const dashboardPort =
        f.dashboardPort === undefined
          ? undefined
          : parseIntFlag(f.dashboardPort, '--dashboard-port', { min: 0, max: 65_535 });
      const loss = f.loss === undefined ? undefined : parseNumberFlag(f.loss, '--loss', { min: 0, max: 1 });
      const auto = f.active === 'auto';
      if (f.active !== undefined && !auto && f.activePerLayer !== undefined)
        throw usageError('give --active or --active-per-layer, not both');
      if (!auto && f.anonymityTarget !== undefined) throw usageError('--anonymity-target needs --active auto');
      if (auto && f.anonymityTarget === undefined) throw usageError('--active auto needs --anonymity-target BITS');
      if (auto && (f.activePerLayer ?? f.nodesPerLayer) !== undefined)
        throw usageError('--active auto sizes the layers itself: use --min-width/--max-width, not --active-per-layer');
      const activeSet = auto
        ? {
            anonymityTargetBits: parseNumberFlag(f.anonymityTarget as string, '--anonymity-target', {
              min: 0,
              max: 32,
            }),
            minWidth: parseIntFlag(f.minWidth, '--min-width', { min: 1, max: 16 }),
            maxWidth: parseIntFlag(f.maxWidth, '--max-width', { min: 1, max: 16 }),
            mu: { minMs: parseDuration(f.muMin, '--mu-min'), maxMs: parseDuration(f.muMax, '--mu-max') },
          }
        : undefined;
      const heartbeat = progressWithHeartbeat();
      const options = {
        dir,
        layers: parseIntFlag(f.layers, '--layers', { min: 1, max: 4 }),
        // With --active auto every mix up to --max-width per layer runs: the directory picks among them.
        nodesPerLayer: activeSet
          ? activeSet.maxWidth
          : parseIntFlag(
              f.activePerLayer ?? f.nodesPerLayer ?? (f.active as string | undefined) ?? '1',
              f.activePerLayer !== undefined
                ? '--active-per-layer'
                : f.nodesPerLayer !== undefined
                  ? '--nodes-per-layer'
                  : '--active',
              { min: 1, max: 64 },
            ),
        ...(activeSet ? { activeSet } : {}),
        standby: parseIntFlag(f.standby, '--standby', { min: 0, max: 256 }),
        gateways: parseIntFlag(f.gateways, '--gateways', { min: 1, max: 128 }),
        standbyGateways: parseIntFlag(f.standbyGateways, '--standby-gateways', { min: 0, max: 127 }),
        nodesPerProcess:
          f.nodesPerProcess === 'auto'
            ? ('auto' as const)
            : parseIntFlag(f.nodesPerProcess, '--nodes-per-process', { min: 1, max: 256 }),
        epochMs: parseDuration(f.epoch, '--epoch'),
        directory: f.directory,
        mu: parseDuration(f.mu, '--mu'),
        chain: f.chain,
        workers: parseIntFlag(f.workers, '--workers', { min: 0, max: 64 }),
        mixCoverHz: parseNumberFlag(f.mixCover, '--mix-cover', { min: 0, max: 10_000 }),
        ...(loss !== undefined ? { emulation: { lossRate: loss } } : {}),
        ...(latency === 'geo' ? { latency: 'geo' as const } : {}),
        ...(f.trace ? { trace: resolve(f.trace) } : {}),
        onProgress: heartbeat.report,
      };
      let state: TestnetState;
      try {
        if (f.runtime === 'docker') {
          const { upDocker } = await import('@mixnet/testnet/docker');
          state = await upDocker(options);
        } else if (f.runtime === 'kubernetes') {
          const { upKubernetes } = await import('@mixnet/testnet/kubernetes');
          state = await upKubernetes({
            ...options,
            ...(f.context ? { context: f.context } : {}),
            ...(f.namespace ? { namespace: f.namespace } : {}),
            ...(f.image ? { image: f.image } : {}),
            ...(pullPolicy ? { imagePullPolicy: pullPolicy } : {}),
            ...(f.nodeAddress ? { nodeAddress: f.nodeAddress } : {}),
            spread: f.spread === true,
          });
        } else state = await upTestnet(options);
      } finally {
        heartbeat.stop();
      }
      // In the foreground the CLI serves the dashboard itself; it stops with the testnet.
      const dashboard =
        f.dashboard && !f.detach
          ? await serveDashboard(dir, {
              ...(dashboardPort !== undefined ? { port: dashboardPort } : {}),
              fallback: dashboardPort === undefined,
            })
          : undefined;
      if (f.json) printJson({ ...state, stateDir: dir, ...(dashboard ? { dashboard: dashboard.url } : {}) });
      else {
        process.stdout.write(`\n${table(summaryRows(state))}\n\n`);
        process.stdout.write(`ready in ${((state.readyMs ?? 0) / 1000).toFixed(1)} s (state: ${dir})\n\n`);
        if (dashboard) process.stdout.write(`dashboard: ${dashboard.url}\n\n`);
        else if (f.dashboard) process.stdout.write(`dashboard: ${hint(['dashboard', ...stateArgs(f.state)])}\n\n`);
        process.stdout.write(`${nextBlock(upHints(state, f.state))}\n`);
      }
      if (f.detach) return;
      if (!f.json) progress('running; Ctrl-C stops everything');
      await liveLoop(dir, state, dashboard ? () => dashboard.close() : undefined);
    });

  testnet
    .command('status')
    .description('show every process of the testnet and whether it is up')
    .option('--state <dir>', 'state folder')
    .option('--json', 'machine-readable output')
    .action(async (f: { state?: string; json?: boolean }) => {
      const dir = stateDir(f.state);
      const status =
        readState(dir)?.runtime === 'kubernetes'
          ? await (await import('@mixnet/testnet/kubernetes')).kubernetesStatus(dir)
          : await testnetStatus(dir);
      if (!status) throw new CliError(`no testnet in ${dir} (start one with \`mixnet testnet up\`)`);
      if (f.json) {
        printJson({
          stateDir: dir,
          runtime: status.state.runtime,
          ...(status.epoch ? { epoch: status.epoch } : {}),
          ...(status.directoryError ? { directoryError: status.directoryError } : {}),
          processes: status.processes,
        });
        return;
      }
      if (status.epoch) process.stdout.write(`${epochLine(status.epoch, status.state)}\n`);
      else if (status.directoryError) process.stdout.write(`directory: ${status.directoryError}\n`);
      process.stdout.write(`${table(statusRows(status.processes))}\n`);
      const paused = status.processes.filter((p) => p.health === 'paused').length;
      const down = status.processes.filter((p) => p.health !== 'up').length - paused;
      process.stdout.write(
        `${status.processes.length - down - paused} up, ${paused ? `${paused} paused, ` : ''}${down} down (${dir})\n`,
      );
    });

  testnet
    .command('logs [node]')
    .description('print the logs of one process, or the last lines of all')
    .option('--state <dir>', 'state folder')
    .option('-n, --lines <n>', 'lines per process', '20')
    .option('--json', 'the raw JSON lines, as the processes wrote them')
    .action(async (node: string | undefined, f: { state?: string; lines: string; json?: boolean }) => {
      const dir = stateDir(f.state);
      if (readState(dir)?.runtime === 'kubernetes') {
        const { kubernetesLogs } = await import('@mixnet/testnet/kubernetes');
        const n = parseIntFlag(f.lines, '--lines');
        for (const { id, text } of await kubernetesLogs(dir, node, n)) {
          if (!node) process.stdout.write(`=== ${id} ===\n`);
          const lines = text.trimEnd().split('\n');
          process.stdout.write(`${(f.json ? lines : lines.map(formatLogLine)).join('\n')}\n`);
        }
        return;
      }
      const logs = join(dir, 'logs');
      if (!existsSync(logs)) throw new CliError(`no logs in ${dir}`);
      const n = parseIntFlag(f.lines, '--lines');
      const ids = node ? [node] : readdirSync(logs).map((x) => x.replace(/\.log$/, ''));
      for (const id of ids) {
        const file = paths(dir).log(id);
        if (!existsSync(file)) throw new CliError(`no process "${id}" in ${dir}`);
        const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
        if (!node) process.stdout.write(`=== ${id} ===\n`);
        const shown = node ? lines : lines.slice(-n);
        process.stdout.write(`${(f.json ? shown : shown.map(formatLogLine)).join('\n')}\n`);
      }
    });

  testnet
    .command('down')
    .description('stop every process of the testnet (also after a crash of the CLI)')
    .option('--state <dir>', 'state folder')
    .option('--json', 'machine-readable output')
    .action(async (f: { state?: string; json?: boolean }) => {
      const dir = stateDir(f.state);
      const state = readState(dir);
      const { stopped } = await downAny(dir, state);
      if (f.json) printJson({ stateDir: dir, stopped });
      else
        process.stdout.write(
          state ? `stopped ${stopped.length} ${unitOf(state)} (${dir})\n` : `no testnet in ${dir}\n`,
        );
    });

  registerTestnetManifests(testnet);
  registerTestnetControl(testnet);
  registerTestnetFaults(testnet);
}
