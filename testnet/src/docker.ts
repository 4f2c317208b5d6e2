/**
 * The docker runtime (ARCHITECTURE.md, "Containers here and elsewhere"): one image from
 * testnet/Dockerfile, every process a container on a user-defined network, started through
 * testcontainers. A Sphinx header carries IP addresses, not names, so every container gets a fixed
 * IP on a fixed subnet (its alias is its id). Each container mounts only its own files, at the same
 * paths as on the host, and runs as a non-root uid without capabilities (docker-sandbox.ts).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nodeFlagsFor } from '@mixnet/node';
import { execa } from 'execa';
import { writeHardhatConfig } from './chain.js';
import { containerRunning, dockerBin, dockerEnv, useDockerEngine } from './docker-inspect.js';
import { prepareSandbox } from './docker-sandbox.js';
import { type Allocate, generateTestnet, type TestnetPlan } from './generate.js';
import { waitHealthy } from './health.js';
import { type ProcessEntry, paths, readState, type TestnetState, writeState } from './layout.js';
import { processStart } from './proc-start.js';
import {
  DEFAULT_PLAN,
  refuseIfRunning,
  startInOrder,
  stripUndefined,
  TestnetError,
  type UpOptions,
} from './testnet.js';
import { writeTraceMeta } from './trace-meta.js';

export const IMAGE = 'mixnet-testnet';
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LABEL = 'mixnet.testnet';
const PORTS = { packets: 1789, metrics: 9100, websocket: 9000, chain: 8545 };

export { useDockerEngine };

export function dockerAvailable(): boolean {
  useDockerEngine();
  return spawnSync(dockerBin(), ['info'], { stdio: 'ignore', timeout: 15_000 }).status === 0;
}

/** Builds the image (BuildKit; cached layers make a rebuild after a code change take seconds). */
export async function buildImage(progress: (m: string) => void): Promise<string> {
  useDockerEngine();
  const env = dockerEnv();
  const base = process.env.MIXNET_DOCKER_BASE ?? env.MIXNET_DOCKER_BASE;
  progress(`building the ${IMAGE} image${base ? ` on ${base}` : ''}`);
  const r = await execa(
    dockerBin(),
    ['build', '-q', '-f', 'testnet/Dockerfile', ...(base ? ['--build-arg', `BASE=${base}`] : []), '-t', IMAGE, '.'],
    { cwd: REPO_ROOT, env: { DOCKER_BUILDKIT: '1' }, reject: false, all: true },
  );
  if (r.exitCode !== 0)
    throw new TestnetError(`docker build failed:\n${String(r.all).split('\n').slice(-15).join('\n')}`);
  return IMAGE;
}

async function createNetwork(
  name: string,
  labels: Record<string, string>,
): Promise<{ subnet: string; prefix: string }> {
  // A /24 in 10.0.0.0/8 not used by another network: try a few at random.
  for (let attempt = 0; attempt < 20; attempt++) {
    const a = 16 + Math.floor(Math.random() * 200);
    const b = Math.floor(Math.random() * 250);
    const subnet = `10.${a}.${b}.0/24`;
    const r = await execa(
      dockerBin(),
      [
        'network',
        'create',
        '--driver',
        'bridge',
        '--subnet',
        subnet,
        '--gateway',
        `10.${a}.${b}.1`,
        ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
        name,
      ],
      { reject: false },
    );
    if (r.exitCode === 0) return { subnet, prefix: `10.${a}.${b}` };
    if (!/overlap|in use/i.test(r.stderr)) throw new TestnetError(`docker network create failed: ${r.stderr}`);
  }
  throw new TestnetError('no free /24 in 10.0.0.0/8 for the testnet network');
}

export async function upDocker(opts: UpOptions): Promise<TestnetState> {
  const started = performance.now();
  const progress = opts.onProgress ?? (() => {});
  if (!dockerAvailable())
    throw new TestnetError(
      'no Docker engine answers: on a machine without one, run testnet/scripts/docker-up.sh (installs docker.io and starts dockerd)',
    );
  refuseIfRunning(opts.dir);
  const { GenericContainer } = await import('testcontainers');
  const image = await buildImage(progress);

  const plan: TestnetPlan = { ...DEFAULT_PLAN, ...stripUndefined(opts), host: '0.0.0.0' };
  const runId = Math.random().toString(36).slice(2, 8);
  const network = `mixnet-${runId}`;
  const labels = { [LABEL]: runId };
  const { prefix } = await createNetwork(network, labels);
  let next = 10;
  const ips = new Map<string, string>();
  const allocate: Allocate = async (id, role) => {
    const ip = `${prefix}.${next++}`;
    ips.set(id, ip);
    return {
      host: ip,
      listenHost: '0.0.0.0',
      port: role === 'chain' ? PORTS.chain : PORTS.packets,
      metricsPort: PORTS.metrics,
      ...(role === 'gateway' ? { websocketPort: PORTS.websocket } : {}),
    };
  };
  progress(`generating keys and configs for ${plan.layers} layers × ${plan.nodesPerLayer} on ${prefix}.0/24`);
  const { state } = await generateTestnet(opts.dir, plan, allocate);
  state.runtime = 'docker';
  state.docker = { network, image, runId };
  state.cliPid = process.pid;
  state.cliStarted = processStart(process.pid);
  writeState(opts.dir, state);

  class FixedIpContainer extends GenericContainer {
    withFixedIp(ip: string, alias: string): this {
      this.withNetworkMode(network);
      this.createOpts.NetworkingConfig = {
        EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: ip }, Aliases: [alias] } },
      };
      return this;
    }
  }

  const launch = async (p: ProcessEntry) => {
    const cli = '/app/packages/cli/dist/main.js';
    const command =
      p.role === 'chain'
        ? `cd /app/testnet && exec node node_modules/hardhat/internal/cli/bootstrap.js --config ${writeHardhatConfig(paths(opts.dir).chain)} node --hostname 0.0.0.0 --port ${PORTS.chain}`
        : `exec node ${[...nodeFlagsFor(p.role), cli].join(' ')} run ${p.role} --config ${p.configPath}`;
    const box = prepareSandbox(opts.dir, state, p, state.processes.indexOf(p));
    const container = await new FixedIpContainer(image)
      .withName(`${network}-${p.id}`)
      .withEntrypoint(['sh', '-c'])
      .withCommand([`${command} >> ${p.logPath} 2>&1`])
      .withEnvironment({ HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', ...box.env })
      .withUser(box.user)
      .withBindMounts(box.binds)
      .withDroppedCapabilities('ALL')
      .withSecurityOpt('no-new-privileges')
      .withFixedIp(ips.get(p.id) as string, p.id)
      .withLabels(labels)
      .start();
    p.container = container.getId();
    writeState(opts.dir, state);
    await waitHealthy(p, p.role === 'chain' ? 90_000 : (opts.timeoutMs ?? 45_000), () =>
      containerRunning(p.container as string),
    );
    progress(`${p.id} is up (container ${p.container.slice(0, 12)}, ${ips.get(p.id)})`);
  };

  return startInOrder(opts, state, started, launch, () => downDocker(opts.dir));
}

/** Removes every container and the network of the testnet in `dir`. */
export async function downDocker(dir: string): Promise<{ stopped: string[] }> {
  useDockerEngine();
  const state = readState(dir);
  if (!state) return { stopped: [] };
  const stopped: string[] = [];
  const ids = state.processes.filter((p) => p.container).map((p) => p.container as string);
  for (const p of state.processes) if (p.container && containerRunning(p.container)) stopped.push(p.id);
  // SIGTERM first (nodes forward what they hold), then removal.
  if (ids.length > 0) {
    await execa(dockerBin(), ['stop', '-t', '8', ...ids], { reject: false });
    await execa(dockerBin(), ['rm', '-f', ...ids], { reject: false });
  }
  if (state.docker?.network) await execa(dockerBin(), ['network', 'rm', state.docker.network], { reject: false });
  if (state.trace) await writeTraceMeta(state.trace, { mu: state.mu, topologyPath: state.topologyPath });
  rmSync(paths(dir).state, { force: true });
  return { stopped };
}
