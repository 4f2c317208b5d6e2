/**
 * A node host (issue 16): several mixes and gateways in ONE process, sharing the event loop and one
 * pool of Sphinx worker threads. Each node keeps its own keys, ports, scheduler, replay filter,
 * metrics/health port and directory registration: from outside, a hosted node looks like a node
 * of its own process. What the host saves is the per-process cost (a V8 heap, a worker isolate per
 * node), which is most of an idle relay's memory.
 */
import { createSharedTopologyFetch } from './directory-client.js';
import { createGateway, type Gateway } from './gateway.js';
import { loadHostConfig } from './host-config.js';
import { createLogger, type Logger } from './logger.js';
import { createMixNode, type MixNode } from './mix-node.js';
import { createPacketPool, type PacketPool } from './packet-processor.js';
import { stopOnSignal } from './run.js';

export interface NodeHostOptions {
  /** A host file or a folder of node configs (host-config.ts). */
  configPath: string;
  logger?: Logger;
}

export interface HostedNode {
  id: string;
  role: 'mix' | 'gateway';
  node: MixNode | Gateway;
}

export interface NodeHost {
  readonly nodes: readonly HostedNode[];
  readonly logger: Logger;
  /** Starts every node (all at once); if one fails, stops those started and throws. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function createNodeHost(opts: NodeHostOptions): Promise<NodeHost> {
  const config = loadHostConfig(opts.configPath);
  const level = config.nodes[0]?.log.level ?? 'info';
  const logger = opts.logger ?? createLogger({ level, name: 'host' });
  const pool: PacketPool | undefined =
    config.workers > 0
      ? createPacketPool({
          workers: config.workers,
          allowLegacyVersions: config.nodes.some((n) => n.allowLegacyVersions),
        })
      : undefined;
  const nodes: HostedNode[] = [];
  // One document request serves the polls its nodes make within a second of it.
  const fetchTopology = createSharedTopologyFetch();
  for (const c of config.nodes) {
    const o = pool ? { packetPool: pool, fetchTopology } : { fetchTopology };
    // workers 0: each node processes inline on the shared loop.
    const workers = pool ? c.workers : 0;
    const node =
      c.role === 'mix' ? await createMixNode({ ...c, workers }, o) : await createGateway({ ...c, workers }, o);
    nodes.push({ id: c.id, role: c.role, node });
  }
  let started: HostedNode[] = [];
  const stopAll = async () => {
    const running = started;
    started = [];
    await Promise.allSettled(running.map((n) => n.node.stop()));
  };
  return {
    nodes,
    logger,
    async start() {
      const results = await Promise.allSettled(
        nodes.map(async (n) => {
          await n.node.start();
          started.push(n);
        }),
      );
      const failed = results.findIndex((r) => r.status === 'rejected');
      if (failed >= 0) {
        await stopAll();
        await pool?.close();
        const reason = (results[failed] as PromiseRejectedResult).reason as Error;
        throw new Error(`${nodes[failed]?.id}: ${reason.message}`);
      }
      logger.info({ nodes: nodes.length, workers: config.workers }, 'host started');
    },
    async stop() {
      await stopAll();
      await pool?.close();
      logger.info('host stopped');
    },
  };
}

/** `mixnet run host --config FILE`: starts the host, stops every node on SIGTERM/SIGINT. */
export async function runHost(configPath: string): Promise<void> {
  const host = await createNodeHost({ configPath });
  await host.start();
  stopOnSignal(host.logger, () => host.stop());
}
