/**
 * Test networks of real node processes on loopback: keys, configs and ports generated into a
 * temporary folder, each node started as `node dist/run.js <role> --config FILE`, health awaited.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeNodeAddress } from '@mixnet/sphinx';
import type { NodeConfigInput } from '../config.js';
import { generateNodeKeys } from '../keys.js';

const RUN = fileURLToPath(new URL('../../dist/run.js', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface TestNode {
  id: string;
  role: 'mix' | 'gateway';
  configPath: string;
  port: number;
  metricsPort: number;
  websocketPort?: number;
  address: Uint8Array;
  publicKey: Uint8Array;
  identityKey: Uint8Array;
  process?: ChildProcess;
  output: string[];
}

export interface TestNetworkOptions {
  layers?: number;
  workers?: number;
  /** Extra config fields per node, merged shallowly into `base` (the generated config). */
  extra?: (
    node: { id: string; role: 'mix' | 'gateway'; layer?: number },
    base: Record<string, unknown>,
  ) => Partial<NodeConfigInput>;
  /** Mix loop cover rate (Hz); writes topology.json for the mixes to route their loops through. */
  coverRateHz?: number;
}

export interface TestNetwork {
  dir: string;
  mixes: TestNode[];
  gateway: TestNode;
  start(node: TestNode): Promise<void>;
  /** SIGTERM (default) or SIGKILL; resolves with the exit code. */
  stop(node: TestNode, signal?: NodeJS.Signals): Promise<number | null>;
  metrics(node: TestNode): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** Parses Prometheus text: `name{labels} value` → map (labels kept in the key). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    // Drop the default labels (role, id) so keys read `name` or `name{reason="replay"}`.
    const key = line
      .slice(0, i)
      .replace(/(role|id)="[^"]*",?/g, '')
      .replace(/,}/, '}')
      .replace(/\{\}/, '');
    out.set(key, Number(line.slice(i + 1)));
  }
  return out;
}

export async function createTestNetwork(opts: TestNetworkOptions = {}): Promise<TestNetwork> {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-net-'));
  const layers = opts.layers ?? 3;
  const make = async (id: string, role: 'mix' | 'gateway', layer?: number): Promise<TestNode> => {
    const port = await freePort();
    const metricsPort = await freePort();
    const websocketPort = role === 'gateway' ? await freePort() : undefined;
    const keys = { sphinxPrivateKeyFile: `${id}/sphinx.key`, identityPrivateKeyFile: `${id}/identity.key` };
    const pub = generateNodeKeys({
      sphinxPrivateKeyFile: join(dir, keys.sphinxPrivateKeyFile),
      identityPrivateKeyFile: join(dir, keys.identityPrivateKeyFile),
    });
    const base: Record<string, unknown> = {
      role,
      id,
      listen: { host: '127.0.0.1', port },
      keys,
      dataDir: `${id}/data`,
      metrics: { host: '127.0.0.1', port: metricsPort },
      workers: opts.workers ?? 1,
      log: { level: 'warn' },
      // Members: the mixes and the gateway of topology.json, written below (issue 14 #1).
      network: { topologyFile: 'topology.json' },
      ...(role === 'mix' ? { layer } : { websocket: { host: '127.0.0.1', port: websocketPort } }),
      ...(role === 'mix' && opts.coverRateHz
        ? { cover: { rateHz: opts.coverRateHz, meanDelayMs: 5, topologyFile: 'topology.json', timeoutMs: 3_000 } }
        : {}),
    };
    const config = { ...base, ...opts.extra?.({ id, role, ...(layer ? { layer } : {}) }, base) };
    const configPath = join(dir, `${id}.json`);
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    return {
      id,
      role,
      configPath,
      port,
      metricsPort,
      ...(websocketPort ? { websocketPort } : {}),
      address: encodeNodeAddress({ host: '127.0.0.1', port }),
      publicKey: pub.sphinxPublicKey,
      identityKey: pub.identityPublicKey,
      output: [],
    };
  };
  const mixes: TestNode[] = [];
  for (let l = 1; l <= layers; l++) mixes.push(await make(`mix-${l}`, 'mix', l));
  const gateway = await make('gateway-1', 'gateway');
  const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const entry = (n: TestNode) => ({
    id: n.id,
    address: `127.0.0.1:${n.port}`,
    sphinxKey: hexOf(n.publicKey),
    identityKey: hexOf(n.identityKey),
  });
  writeFileSync(
    join(dir, 'topology.json'),
    JSON.stringify({
      layers: mixes.map((m) => [entry(m)]),
      gateways: [{ ...entry(gateway), clientUrl: `ws://127.0.0.1:${gateway.websocketPort}` }],
      serviceProviders: [],
    }),
  );

  const health = async (node: TestNode) => {
    const res = await fetch(`http://127.0.0.1:${node.metricsPort}/health`);
    return res.ok;
  };
  const start = async (node: TestNode) => {
    const child = spawn(process.execPath, [RUN, node.role, '--config', node.configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    node.process = child;
    node.output = [];
    child.stdout?.on('data', (d: Buffer) => node.output.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => node.output.push(d.toString()));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${node.id} exited with ${child.exitCode}: ${node.output.join('')}`);
      if (await health(node).catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${node.id} did not become healthy: ${node.output.join('')}`);
  };
  const stop = async (node: TestNode, signal: NodeJS.Signals = 'SIGTERM') => {
    const child = node.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    return exited;
  };
  const all = [...mixes, gateway];
  await Promise.all(all.map(start));
  return {
    dir,
    mixes,
    gateway,
    start,
    stop,
    async metrics(node) {
      const res = await fetch(`http://127.0.0.1:${node.metricsPort}/metrics`);
      return parseMetrics(await res.text());
    },
    async close() {
      await Promise.all(all.map((n) => stop(n, 'SIGKILL')));
    },
  };
}
