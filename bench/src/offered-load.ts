/**
 * Offered load for the scaling suite: single-packet messages (cover off, no acks) from a few sender
 * clients in this process to one receiver, as a Poisson stream at a set rate, and what came back:
 * latency per message, loss, and every relay's CPU over the window (/proc). The generator's own CPU
 * is reported too: when it nears a core, the generator, not the network, is what saturates.
 */
import { createClient, type MixnetClient } from '@mixnet/client';
import { clientNetwork, type TestnetState } from '@mixnet/testnet';
import { procUsage } from './proc-usage.js';

export interface OfferOptions {
  /** Messages per second, all senders together. */
  rate: number;
  seconds: number;
  /** How long to wait for stragglers after the last send. Default 2 s. */
  drainMs?: number;
}

export interface OfferResult {
  offered: number;
  sent: number;
  delivered: number;
  /** Sorted, ms. */
  latencies: number[];
  /** Delivered per second of the sending window. */
  throughput: number;
  /** CPU seconds of every relay process (mixes, gateways, their hosts) over send + drain. */
  relayCpuSeconds: number;
  /** Wall seconds of send + drain: the window relayCpuSeconds covers. */
  windowSeconds: number;
  /** Packets the gateways finished (delivered, mailboxed, or drop cover ended) over the same time. */
  relayPackets: number;
  /** This process's CPU over the sending window, % of one core. */
  generatorCpuPercent: number;
}

export interface LoadClients {
  senders: MixnetClient[];
  receiver: MixnetClient;
  close(): Promise<void>;
}

export async function loadClients(state: TestnetState, senders = 3): Promise<LoadClients> {
  const traffic = { cover: false, sendGapMs: 0, acks: false };
  const all = await Promise.all(
    Array.from({ length: senders + 1 }, () => createClient({ ...clientNetwork(state), traffic })),
  );
  const receiver = all[0] as MixnetClient;
  return {
    senders: all.slice(1),
    receiver,
    close: async () => {
      await Promise.all(all.map((c) => c.close({ flushMs: 0 })));
    },
  };
}

export const relayPids = (state: TestnetState): number[] => [
  ...new Set(
    state.processes
      .filter((p) => p.role === 'mix' || p.role === 'gateway')
      .map((p) => p.pid)
      .filter((p): p is number => p !== undefined),
  ),
];

/** Sum of the named counters (every label set) in a Prometheus text page. */
export function promSum(text: string, names: readonly string[]): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const name = line.split(/[{ ]/, 1)[0] as string;
    if (names.includes(name)) sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return sum;
}

const FINISHED = ['mixnet_packets_delivered_total', 'mixnet_packets_mailboxed_total', 'mixnet_drop_cover_total'];

async function gatewayPackets(state: TestnetState): Promise<number> {
  const pages = await Promise.all(
    state.processes
      .filter((p) => p.role === 'gateway')
      .map((p) =>
        fetch(`${p.metricsUrl}/metrics`, { signal: AbortSignal.timeout(3_000) })
          .then((r) => r.text())
          .catch(() => ''),
      ),
  );
  return pages.reduce((s, t) => s + promSum(t, FINISHED), 0);
}

const cpuOf = (pids: number[]) => pids.reduce((s, pid) => s + (procUsage(pid)?.cpuSeconds ?? 0), 0);

export interface RelayIdle {
  /** Every relay process's CPU, % of one core, summed. */
  cpuPercent: number;
  /** Packets the gateways finished per second meanwhile: the network's own cover (its clients' and
   * the service provider's loops), which the idle CPU is mostly spent on. */
  packetsPerSecond: number;
}

/** The relays' CPU and finished packets over `seconds` of whatever runs now (no offered load). */
export async function relayIdle(state: TestnetState, seconds: number): Promise<RelayIdle> {
  const pids = relayPids(state);
  const cpu0 = cpuOf(pids);
  const packets0 = await gatewayPackets(state);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = cpuOf(pids) - cpu0;
  const packets = (await gatewayPackets(state)) - packets0;
  const dt = (performance.now() - t0) / 1000;
  return { cpuPercent: (cpu / dt) * 100, packetsPerSecond: packets / dt };
}

/** One load step: a Poisson stream of `rate` messages/s for `seconds`, split over the senders. */
export async function offerLoad(state: TestnetState, clients: LoadClients, o: OfferOptions): Promise<OfferResult> {
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const base = Math.floor(Math.random() * 2 ** 30);
  clients.receiver.onMessage(({ data }) => {
    const seq = new DataView(data.buffer, data.byteOffset).getUint32(0);
    const t = sentAt.get(seq);
    if (t !== undefined) {
      latencies.push(performance.now() - t);
      sentAt.delete(seq);
    }
  });
  const pids = relayPids(state);
  const cpu0 = cpuOf(pids);
  const packets0 = await gatewayPackets(state);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const until = t0 + o.seconds * 1000;
  let seq = 0;
  let next = t0;
  // Arrivals drawn ahead and sent when due; a 5 ms tick keeps timer overhead small at high rates.
  while (performance.now() < until) {
    const now = performance.now();
    while (next <= now) {
      const id = (base + seq) >>> 0;
      const msg = new Uint8Array(64);
      new DataView(msg.buffer).setUint32(0, id);
      sentAt.set(id, performance.now());
      const sender = clients.senders[seq % clients.senders.length] as MixnetClient;
      seq++;
      void sender.send(clients.receiver.address, msg).catch(() => {});
      next += -Math.log(1 - Math.random()) * (1000 / o.rate);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const sendSeconds = (performance.now() - t0) / 1000;
  const self = process.cpuUsage(self0);
  const deadline = performance.now() + (o.drainMs ?? 2_000);
  while (sentAt.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const relayCpuSeconds = cpuOf(pids) - cpu0;
  const windowSeconds = (performance.now() - t0) / 1000;
  const relayPackets = (await gatewayPackets(state)) - packets0;
  latencies.sort((a, b) => a - b);
  return {
    offered: o.rate,
    sent: seq,
    delivered: latencies.length,
    latencies,
    throughput: latencies.length / sendSeconds,
    relayCpuSeconds,
    windowSeconds,
    relayPackets,
    generatorCpuPercent: ((self.user + self.system) / 1e6 / sendSeconds) * 100,
  };
}
