/** `mixnet testnet scale|kill|stop|start`: change a running testnet (issue 13's lifecycle). */
import {
  controlNode,
  type DirectoryStatus,
  type NodeAction,
  readState,
  type StatusEntry,
  scaleTestnet,
  stateDir,
  type TestnetState,
} from '@mixnet/testnet';
import type { Command } from 'commander';
import { CliError, parseIntFlag, printJson, progress } from '../output.js';

/** `status` rows: the process (health) and the directory's view of it (state, layer, score). */
export function statusRows(processes: StatusEntry[]) {
  // Kubernetes: the pod and the cluster node it runs on.
  const pods = processes.some((p) => p.pod !== undefined);
  return processes.map((p) => ({
    role: p.role,
    layer: p.liveLayer ?? (p.state === 'active' || p.state === undefined ? (p.layer ?? '') : ''),
    id: p.id,
    health: p.health,
    state: p.state ?? '',
    score: p.score === undefined ? '' : p.score.toFixed(2),
    ...(pods ? { pod: p.pod ?? '', node: p.node ?? '' } : { pid: p.pid ?? p.container?.slice(0, 12) ?? '' }),
    address: p.address ?? p.url ?? '',
  }));
}

/** "epoch 12, next in 3.4 s; 3 layers × 2 active", or that no epoch is published yet. */
export function epochLine(e: DirectoryStatus, state: TestnetState): string {
  const size = `${state.layers} layers × ${e.activePerLayer ?? state.nodesPerLayer} active`;
  if (e.epoch === null || e.epoch === undefined) return `no epoch published yet; ${size}`;
  const next =
    typeof e.nextEpochAt === 'number'
      ? `, next in ${Math.max(0, (e.nextEpochAt - Date.now()) / 1000).toFixed(1)} s`
      : '';
  return `epoch ${e.epoch}${next}; ${size}`;
}

const ACTIONS: Record<NodeAction, string> = {
  kill: 'SIGKILL one process (docker kill): a crash',
  stop: 'stop one process gracefully (SIGTERM, docker stop)',
  start: 'start a killed or stopped process again, with the same keys, config and data',
};

export function registerTestnetControl(testnet: Command): void {
  testnet
    .command('scale')
    .description('set the active mixes per layer from the next epoch on (adds mixes when too few run)')
    .requiredOption('--active-per-layer <n>', 'active mixes per layer')
    .option('--state <dir>', 'state folder')
    .option('--json', 'machine-readable output')
    .action(async (f: { activePerLayer: string; state?: string; json?: boolean }) => {
      const dir = stateDir(f.state);
      const r = await scaleTestnet({
        dir,
        activePerLayer: parseIntFlag(f.activePerLayer, '--active-per-layer', { min: 1, max: 16 }),
        onProgress: progress,
      });
      if (f.json) printJson({ stateDir: dir, ...r });
      else
        process.stdout.write(
          `${r.activePerLayer} active per layer from the next epoch${r.nextEpochAt ? ` (in ${Math.max(0, (r.nextEpochAt - Date.now()) / 1000).toFixed(1)} s)` : ''}${r.added.length ? `; started ${r.added.join(', ')}` : ''}\n`,
        );
    });

  for (const action of Object.keys(ACTIONS) as NodeAction[])
    testnet
      .command(`${action} <node>`)
      .description(ACTIONS[action])
      .option('--state <dir>', 'state folder')
      .option('--json', 'machine-readable output')
      .action(async (node: string, f: { state?: string; json?: boolean }) => {
        const dir = stateDir(f.state);
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(node)) throw new CliError(`NODE must be a process id, got "${node}"`, 2);
        const r =
          readState(dir)?.runtime === 'kubernetes'
            ? await (await import('@mixnet/testnet/kubernetes')).controlKubernetesNode(dir, node, action)
            : await controlNode(dir, node, action);
        if (f.json) printJson({ stateDir: dir, ...r });
        else {
          const verb = action === 'kill' ? 'killed' : action === 'stop' ? 'stopped' : 'started';
          // A packed testnet's node runs in a host with others: the action took them all.
          const along = r.host ? ` with its node host ${r.host.id} (${r.host.nodes.join(', ')})` : '';
          process.stdout.write(`${node}: ${verb}${along}\n`);
        }
      });
}
