/**
 * Node throughput (issue #4): a real mix process on loopback, zero delay, native crypto, fed by a
 * load generator that sends unique packets built before the clock starts (after an untimed warm-up
 * round), forwarding to a sink in this process. Reported beside the single-core processPacket rate measured in the same run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateNodeKeys, RELAY_NODE_FLAGS } from '@mixnet/node';
import { createPacket, encodeNodeAddress, generateKeyPair, processPacket } from '@mixnet/sphinx';
import { freePort, stopProcess } from '@mixnet/testnet';
import { Bench } from 'tinybench';
import { blast, countFrames, packFrames } from './load.js';
import { type BenchEntry, type BenchReport, machineInfo } from './results.js';
import { describeThreads, processCpuSeconds, threadCpuSeconds } from './stats.js';

export interface NodeSuiteOptions {
  packets?: number;
  workerCounts?: number[];
  log?: (line: string) => void;
}

const RUN = fileURLToPath(import.meta.resolve('@mixnet/node').replace(/index\.js$/, 'run.js'));

/** Forwarded packets per second through one mix with `workers` worker threads. */
async function measure(workers: number, packets: number, log?: (l: string) => void): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-bench-node-'));
  const keys = { sphinxPrivateKeyFile: join(dir, 'sphinx.key'), identityPrivateKeyFile: join(dir, 'identity.key') };
  const pub = generateNodeKeys(keys);
  const [mixPort, metricsPort] = [await freePort(), await freePort()];
  const sink = await countFrames();
  const sinkPort = sink.port;
  const config = {
    role: 'mix',
    id: `bench-mix-w${workers}`,
    layer: 1,
    listen: { host: '127.0.0.1', port: mixPort },
    keys,
    dataDir: join(dir, 'data'),
    metrics: { host: '127.0.0.1', port: metricsPort },
    workers,
    replay: { packetRate: packets, keyLifetimeSec: 10 },
    links: { maxQueue: packets * 2, maxQueuedBytes: packets * 2 * 2_500 },
    log: { level: 'warn' },
    // The mix forwards only to members: itself and the sink (as the gateway).
    network: { topologyFile: join(dir, 'topology.json') },
  };
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const sinkKey = hex(generateKeyPair().publicKey);
  writeFileSync(
    join(dir, 'topology.json'),
    JSON.stringify({
      layers: [
        [
          {
            id: config.id,
            address: `127.0.0.1:${mixPort}`,
            sphinxKey: hex(pub.sphinxPublicKey),
            identityKey: hex(pub.identityPublicKey),
          },
        ],
      ],
      gateways: [
        {
          id: 'sink',
          address: `127.0.0.1:${sinkPort}`,
          sphinxKey: sinkKey,
          identityKey: sinkKey,
          clientUrl: 'ws://127.0.0.1:1',
        },
      ],
    }),
  );
  writeFileSync(join(dir, 'mix.json'), JSON.stringify(config));
  // MIXNET_BENCH_NODE_ARGS: extra node flags for the mix, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = process.env.MIXNET_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  // Started the way the testnet starts a mix (RELAY_NODE_FLAGS), so the figure is the product's.
  const child = spawn(
    process.execPath,
    [...RELAY_NODE_FLAGS, ...nodeArgs, RUN, 'mix', '--config', join(dir, 'mix.json')],
    {
      stdio: 'inherit',
    },
  );
  try {
    for (let i = 0; ; i++) {
      if (
        await fetch(`http://127.0.0.1:${metricsPort}/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 400) throw new Error('bench mix did not start');
      await new Promise((r) => setTimeout(r, 25));
    }
    // Unique two-hop packets (the mix, then the sink as the final hop), all built before timing.
    const sinkHop = { ...generateKeyPair(), address: encodeNodeAddress({ host: '127.0.0.1', port: sinkPort }) };
    const route = [
      { address: encodeNodeAddress({ host: '127.0.0.1', port: mixPort }), publicKey: pub.sphinxPublicKey },
      sinkHop,
    ];
    const message = new Uint8Array(100);
    const build = (n: number) =>
      packFrames(
        Array.from({ length: n }, () =>
          createPacket({ route, delaysNs: [0n, 0n], destination: new Uint8Array(32), message }),
        ),
      );
    // A warm-up round first (untimed), so JIT compilation in the mix is not billed to forwarding.
    const warmup = Math.min(2_000, Math.ceil(packets / 10));
    const [warm, chunks] = [build(warmup), build(packets)];
    const deliver = async (batch: Uint8Array[], total: number) => {
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([blast('127.0.0.1', mixPort, batch), sink.received(total)]),
        new Promise((_, reject) => {
          timeout = setTimeout(() => reject(new Error(`only ${sink.count} of ${total} packets arrived`)), 120_000);
        }),
      ]).finally(() => clearTimeout(timeout));
    };
    await deliver(warm, warmup);
    const pid = child.pid as number;
    const threads0 = threadCpuSeconds(pid);
    const cpu0 = { mix: processCpuSeconds(pid), self: process.cpuUsage() };
    const t0 = performance.now();
    await deliver(chunks, warmup + packets);
    const seconds = (performance.now() - t0) / 1000;
    const mixCpu = processCpuSeconds(pid) - cpu0.mix;
    const selfCpu = (process.cpuUsage(cpu0.self).user + process.cpuUsage(cpu0.self).system) / 1e6;
    const perThread = describeThreads(
      Object.fromEntries(
        Object.entries(threadCpuSeconds(pid)).map(([name, s]) => [name, ((s - (threads0[name] ?? 0)) / packets) * 1e6]),
      ),
      workers,
    );
    log?.(
      `workers=${workers}: mix ${((mixCpu / packets) * 1e6).toFixed(0)} µs CPU/packet (${perThread}), load generator and sink ${((selfCpu / packets) * 1e6).toFixed(0)} µs/packet`,
    );
    log?.(`workers=${workers}: ${packets} packets in ${seconds.toFixed(2)} s`);
    return packets / seconds;
  } finally {
    // SIGTERM: the mix drains and exits (and writes its profile when run with --cpu-prof).
    await stopProcess(child.pid, 10_000);
    await sink.close();
  }
}

export async function runNodeSuite(
  opts: NodeSuiteOptions = {},
): Promise<{ report: BenchReport; rates: Record<string, number> }> {
  const packets = opts.packets ?? 20_000;
  const workerCounts = opts.workerCounts ?? [1, 2];
  // The single-core reference: processPacket on one hop, this process, native backend.
  const kp = generateKeyPair();
  const ref = createPacket({
    route: [
      { address: new Uint8Array(32), publicKey: kp.publicKey },
      { ...generateKeyPair(), address: new Uint8Array(32) },
    ],
    delaysNs: [0n, 0n],
    destination: new Uint8Array(32),
    message: new Uint8Array(100),
  });
  const bench = new Bench({ time: 2000 });
  bench.add('processPacket', () => {
    processPacket(ref, kp.privateKey);
  });
  await bench.run();
  const task = bench.tasks[0];
  if (task?.result.state !== 'completed') throw new Error('processPacket reference did not complete');
  const single = task.result.throughput.mean;
  const rates: Record<string, number> = { 'processPacket single core': single };
  for (const w of workerCounts)
    rates[`forwarded, ${w} worker${w > 1 ? 's' : ''}`] = await measure(w, packets, opts.log);
  const entries: BenchEntry[] = Object.entries(rates).map(([name, value]) => ({
    name: `node/${name}`,
    unit: 'packets/s',
    value: Math.round(value),
  }));
  const one = rates['forwarded, 1 worker'];
  const two = rates['forwarded, 2 workers'];
  if (one)
    entries.push({
      name: 'node/1 worker ÷ single-core processPacket',
      unit: 'ratio',
      value: Math.round((one / single) * 1000) / 1000,
    });
  if (one && two)
    entries.push({ name: 'node/2 workers ÷ 1 worker', unit: 'ratio', value: Math.round((two / one) * 1000) / 1000 });
  return {
    rates,
    report: {
      suite: 'node',
      date: new Date().toISOString(),
      machine: machineInfo(),
      statistic: 'rate over the run',
      entries,
    },
  };
}
