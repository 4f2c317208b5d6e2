#!/usr/bin/env node
/**
 * Smoke test of the docker runtime's building blocks with testcontainers, against whatever engine
 * `docker info` reaches (here: the dockerd of docker-up.sh, started with --iptables=false).
 *
 *   testnet/scripts/docker-up.sh && npx --yes pnpm@9 build
 *   docker build -f testnet/Dockerfile --build-arg BASE=mixnet-base:bookworm -t mixnet-testnet .
 *   node testnet/scripts/docker-smoke.mjs [--image mixnet-testnet] [--build]
 *
 * --build builds the image through testcontainers (GenericContainer.fromDockerfile, BuildKit) first.
 * It starts mix nodes from the image, with configs and keys generated here, in two ways:
 *   A. testcontainers' own Network, withNetworkAliases, withExposedPorts and Wait.forHttp (published
 *      port, through docker-proxy);
 *   B. a network created with a fixed subnet, each container given a fixed IP (a node's `announce`
 *      must be an IP address, known before it starts) and its alias, no published port, waited for by
 *      log line (mix-1) or by a /health probe run inside (mix-2), then /health fetched at the container
 *      IP from the host and by alias from the other container.
 * Every container and network carries the label mixnet.testnet=smoke-<id> (docker-down.sh removes
 * what a crash leaves). Prints what worked and how long it took; exits 1 on the first failure.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// Before testcontainers is loaded: no Ryuk (its image would be pulled from a registry).
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
// This machine has /.dockerenv, so testcontainers would look for the host through an alpine container
// (also pulled from a registry; it fails, then falls back to localhost): say localhost at once.
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= 'localhost';
const { GenericContainer, Network, Wait, getContainerRuntimeClient } = await import('testcontainers');
const { generateNodeKeys } = await import('@mixnet/node');

const { values } = parseArgs({
  options: {
    image: { type: 'string', default: process.env.MIXNET_IMAGE ?? 'mixnet-testnet' },
    base: { type: 'string', default: process.env.MIXNET_DOCKER_BASE ?? 'mixnet-base:bookworm' },
    build: { type: 'boolean', default: false },
  },
});
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const runId = `smoke-${process.pid}`;
const LABELS = { 'mixnet.testnet': runId };
const PACKET_PORT = 1789;
const METRICS_PORT = 9100;
const RUN = ['/app/packages/node/dist/run.js'];
const HEALTH_PROBE = `node -e "fetch('http://127.0.0.1:${METRICS_PORT}/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"`;

const t0 = performance.now();
const since = (t) => `${((performance.now() - t) / 1000).toFixed(2)}s`;
const log = (msg) => process.stdout.write(`docker-smoke: ${msg}\n`);

/** A mix config and its keys in `dir`, as packages/node/src/test-support/network.ts writes them. */
function writeMix(dir, id, layer, announceHost) {
  const keys = { sphinxPrivateKeyFile: `${id}/sphinx.key`, identityPrivateKeyFile: `${id}/identity.key` };
  generateNodeKeys({
    sphinxPrivateKeyFile: join(dir, keys.sphinxPrivateKeyFile),
    identityPrivateKeyFile: join(dir, keys.identityPrivateKeyFile),
  });
  const config = {
    role: 'mix',
    id,
    layer,
    listen: { host: '0.0.0.0', port: PACKET_PORT },
    ...(announceHost ? { announce: { host: announceHost, port: PACKET_PORT } } : {}),
    keys,
    dataDir: `/data/${id}`,
    metrics: { host: '0.0.0.0', port: METRICS_PORT },
    workers: 1,
    log: { level: 'info' },
  };
  writeFileSync(join(dir, `${id}.json`), JSON.stringify(config, null, 2));
  return `/config/${id}.json`;
}

/** GenericContainer with a fixed IP and aliases on a user-defined network (set at create time). */
class FixedIpContainer extends GenericContainer {
  withFixedIp(networkName, ip, aliases) {
    this.withNetworkMode(networkName);
    this.createOpts.NetworkingConfig = {
      EndpointsConfig: { [networkName]: { IPAMConfig: { IPv4Address: ip }, Aliases: aliases } },
    };
    return this;
  }
}

const health = async (url) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
};

const cleanup = [];
const dir = mkdtempSync(join(tmpdir(), 'mixnet-smoke-'));
let failed = false;
try {
  const client = await getContainerRuntimeClient();
  log(
    `engine ${client.info.containerRuntime.serverVersion}, testcontainers host "${client.info.containerRuntime.host}", ` +
      `TESTCONTAINERS_RYUK_DISABLED=${process.env.TESTCONTAINERS_RYUK_DISABLED}`,
  );

  if (values.build) {
    const t = performance.now();
    await GenericContainer.fromDockerfile(repoRoot, 'testnet/Dockerfile')
      .withBuildArgs({ BASE: values.base })
      .withBuildkit()
      .build(values.image, { deleteOnExit: false });
    log(`built ${values.image} with fromDockerfile().withBuildkit() in ${since(t)}`);
  }

  // ---- A: testcontainers Network + aliases + published port + Wait.forHttp ------------------------
  {
    const t = performance.now();
    const network = await new Network().start();
    cleanup.push(() => network.stop());
    mkdirSync(join(dir, 'a'));
    const configPath = writeMix(join(dir, 'a'), 'mix-a', 1);
    const container = await new GenericContainer(values.image)
      .withEntrypoint(['node'])
      .withCommand([...RUN, 'mix', '--config', configPath])
      .withBindMounts([{ source: join(dir, 'a'), target: '/config', mode: 'ro' }])
      .withNetwork(network)
      .withNetworkAliases('mix-a')
      .withExposedPorts(METRICS_PORT)
      .withLabels(LABELS)
      .withWaitStrategy(Wait.forHttp('/health', METRICS_PORT).forStatusCode(200))
      .withStartupTimeout(30_000)
      .start();
    cleanup.unshift(() => container.stop({ timeout: 2_000 }));
    const started = since(t);
    const mapped = `http://${container.getHost()}:${container.getMappedPort(METRICS_PORT)}/health`;
    const byIp = `http://${container.getIpAddress(network.getName())}:${METRICS_PORT}/health`;
    await health(mapped);
    await health(byIp);
    log(`A: Network + withNetworkAliases + withExposedPorts + Wait.forHttp: healthy in ${started}`);
    log(`A:   published port ${mapped} works; container IP ${byIp} works`);
  }

  // ---- B: fixed subnet and IPs, aliases, no published port, log wait ------------------------------
  {
    const t = performance.now();
    const docker = client.network;
    const octet = 100 + (process.pid % 100);
    const subnet = `10.${octet}.0.0/24`;
    const networkName = `mixnet-${runId}`;
    const network = await docker.create({
      Name: networkName,
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: LABELS,
      IPAM: { Config: [{ Subnet: subnet, Gateway: `10.${octet}.0.1` }] },
    });
    cleanup.push(() => docker.remove(network));
    mkdirSync(join(dir, 'b'));
    const nodes = [
      { id: 'mix-1', ip: `10.${octet}.0.11` },
      { id: 'mix-2', ip: `10.${octet}.0.12` },
    ];
    const started = [];
    for (const [i, node] of nodes.entries()) {
      const configPath = writeMix(join(dir, 'b'), node.id, i + 1, node.ip);
      const container = await new FixedIpContainer(values.image)
        .withEntrypoint(['node'])
        .withCommand([...RUN, 'mix', '--config', configPath])
        .withBindMounts([{ source: join(dir, 'b'), target: '/config', mode: 'ro' }])
        .withFixedIp(networkName, node.ip, [node.id])
        .withLabels(LABELS)
        .withWaitStrategy(
          i === 0
            ? Wait.forLogMessage(/"msg":"listening"/) // needs log.level info or lower
            : Wait.forSuccessfulCommand(HEALTH_PROBE), // any log level: /health from inside, every 100 ms
        )
        .withStartupTimeout(30_000)
        .start();
      cleanup.unshift(() => container.stop({ timeout: 2_000 }));
      started.push(container);
      const ip = container.getIpAddress(networkName);
      if (ip !== node.ip) throw new Error(`${node.id}: got IP ${ip}, asked for ${node.ip}`);
      const body = await health(`http://${ip}:${METRICS_PORT}/health`);
      if (body.id !== node.id) throw new Error(`${node.id}: /health says ${JSON.stringify(body)}`);
    }
    log(
      `B: fixed-subnet network + fixed IPs + aliases + Wait.forLogMessage / forSuccessfulCommand: 2 mixes healthy in ${since(t)}`,
    );
    log(`B:   host -> container IP ${nodes.map((n) => `${n.ip}:${METRICS_PORT}`).join(', ')} works`);
    const probe = `fetch('http://mix-1:${METRICS_PORT}/health').then((r) => r.text()).then(console.log)`;
    const res = await started[1].exec(['node', '-e', probe]);
    if (res.exitCode !== 0 || !res.output.includes('"id":"mix-1"')) {
      throw new Error(`mix-2 -> mix-1 by alias failed: ${res.output}`);
    }
    log(`B:   container -> container by alias (mix-2 -> http://mix-1:${METRICS_PORT}/health) works`);
  }
  log(`all checks passed in ${since(t0)}`);
} catch (err) {
  failed = true;
  process.stderr.write(`docker-smoke: FAILED: ${err.stack ?? err}\n`);
} finally {
  for (const step of cleanup) await step().catch((e) => process.stderr.write(`docker-smoke: cleanup: ${e.message}\n`));
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
