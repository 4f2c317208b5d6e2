/**
 * Where the CPU of a delivered message goes (issue 16 #4): the e2e suite's burst, every process's
 * CPU split into the Sphinx work the message needs (create + hops × process, the goal's unit), the
 * ack's Sphinx work, retransmissions, and the rest by category, measured in the same run.
 *
 * The Sphinx shares are modelled from unit costs timed in this process (the same machine, the same
 * minute) times the packets the clients counted; everything else is measured (/proc CPU per process
 * and per thread, minus each process's idle rate sampled just before the burst). Unit costs are CPU
 * time, as the rest is: on a loaded machine wall-clock timings also count the time other processes
 * held the core, which inflated the unit (and deflated the ratio) by up to 6 × between runs.
 */
import {
  createPacket,
  createSurb,
  encodeNodeAddress,
  generateKeyPair,
  packetFromSurb,
  processPacket,
} from '@mixnet/sphinx';
import { quantile, threadCpuSeconds } from './stats.js';

/** The goal: CPU per delivered message ≤ GOAL_RATIO × (create + hops × process). */
export const GOAL_RATIO = 3;

/** Median ms of the Sphinx steps a message needs, over a route of `hops`. */
export interface UnitCosts {
  /** createPacket over the route. */
  createMs: number;
  /** processPacket at one hop. */
  processMs: number;
  /** createSurb over the route (the ack SURB a data packet carries). */
  surbMs: number;
  /** packetFromSurb (the receiver's ack). */
  fromSurbMs: number;
}

/** CPU ms of this process now (user + system, every thread: GC helpers work for the step timed). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Times the steps `rounds` times each in this process, in CPU time; medians. */
export function measureUnitCosts(hops: number, rounds = 60): UnitCosts {
  const route = Array.from({ length: hops }, (_, i) => ({
    ...generateKeyPair(),
    address: encodeNodeAddress({ host: '127.0.0.1', port: 2000 + i }),
  }));
  const delaysNs = route.map(() => 0n);
  const destination = new Uint8Array(32);
  const message = new Uint8Array(1500);
  const create: number[] = [];
  const proc: number[] = [];
  const surb: number[] = [];
  const fromSurb: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let t = cpuMs();
    let packet = createPacket({ route, delaysNs, destination, message });
    create.push(cpuMs() - t);
    t = cpuMs();
    for (const hop of route) {
      const r = processPacket(packet, hop.privateKey);
      if (r.kind === 'forward') packet = r.packet;
    }
    proc.push((cpuMs() - t) / hops);
    t = cpuMs();
    const s = createSurb({ route, delaysNs, destination, identifier: new Uint8Array(16), keyMaterial: 'seeds' });
    surb.push(cpuMs() - t);
    t = cpuMs();
    packetFromSurb(s, message);
    fromSurb.push(cpuMs() - t);
  }
  const med = (xs: number[]) =>
    quantile(
      xs.sort((a, b) => a - b),
      0.5,
    );
  return { createMs: med(create), processMs: med(proc), surbMs: med(surb), fromSurbMs: med(fromSurb) };
}

/** CPU seconds of the e2e run's parties at one instant. */
export interface CpuSample {
  /** This process: both clients. */
  clients: number;
  /** Relays' main threads. */
  relayMain: number;
  /** Relays' other threads: Sphinx workers, V8's GC helpers, libuv. */
  relayThreads: number;
  /** Directory, service providers and the rest. */
  others: number;
}

export interface Party {
  pid: number;
  relay: boolean;
}

export function sampleCpu(parties: readonly Party[]): CpuSample {
  const self = process.cpuUsage();
  const out: CpuSample = { clients: (self.user + self.system) / 1e6, relayMain: 0, relayThreads: 0, others: 0 };
  for (const p of parties) {
    const threads = threadCpuSeconds(p.pid);
    for (const [tid, s] of Object.entries(threads)) {
      if (!p.relay) out.others += s;
      else if (tid === 'main') out.relayMain += s;
      else out.relayThreads += s;
    }
  }
  return out;
}

export function cpuDelta(a: CpuSample, b: CpuSample): CpuSample {
  return {
    clients: b.clients - a.clients,
    relayMain: b.relayMain - a.relayMain,
    relayThreads: b.relayThreads - a.relayThreads,
    others: b.others - a.others,
  };
}

export interface CostInput {
  hops: number;
  unit: UnitCosts;
  delivered: number;
  /** Burst duration, s. */
  seconds: number;
  /** Data packets the sender sent in the burst (retransmissions included), and acks the receiver sent. */
  packets: { data: number; acks: number };
  /** CPU seconds used in the burst. */
  burst: CpuSample;
  /** CPU seconds per second while idle (no client traffic), just before the burst. */
  idleRate: CpuSample;
}

/** ms per delivered message, by category; they sum to the measured total. */
export interface CostBreakdown {
  /** The goal's unit: create + hops × process (one data packet, once). */
  reference: number;
  /** The ack: its SURB (built by the sender), the packet from it, and its hops. */
  ack: number;
  /** Packets sent again and their acks (a timeout shorter than the burst's queues). */
  retransmissions: number;
  /** The clients beyond Sphinx: sealing, fragments, reassembly, WebSocket, timers. */
  clientRest: number;
  /**
   * Relays beyond Sphinx processing, all threads: TCP and WebSocket I/O, framing, worker hand-off,
   * scheduler, replay filter, metrics, GC.
   */
  relayRest: number;
  /** Directory and service providers during the burst, beyond their idle. */
  others: number;
  /** Every process's idle CPU over the burst: network requester cover, monitor probes, announces. */
  background: number;
  total: number;
}

/**
 * Splits the burst's CPU. Relay Sphinx work is (data + acks) × hops × process wherever it ran (a
 * worker, or the main thread for small ticks); what the relays used beyond it is their rest.
 */
export function costBreakdown(c: CostInput): CostBreakdown {
  const n = Math.max(1, c.delivered);
  const ms = (seconds: number) => (seconds * 1000) / n;
  const { createMs, processMs, surbMs, fromSurbMs } = c.unit;
  const hopsMs = c.hops * processMs;
  const reference = createMs + hopsMs;
  const ackOnce = surbMs + fromSurbMs + hopsMs;
  const extraData = Math.max(0, c.packets.data - c.delivered);
  const extraAcks = Math.max(0, c.packets.acks - c.delivered);
  const retransmissions = (extraData * (createMs + surbMs + hopsMs) + extraAcks * (fromSurbMs + hopsMs)) / n;
  const idle = (k: keyof CpuSample) => Math.max(0, c.idleRate[k] * c.seconds);
  const net = (k: keyof CpuSample) => ms(c.burst[k] - idle(k));
  const clientSphinx = c.packets.data * (createMs + surbMs) + c.packets.acks * fromSurbMs;
  const relaySphinx = (c.packets.data + c.packets.acks) * hopsMs;
  const background = ms(idle('clients') + idle('relayMain') + idle('relayThreads') + idle('others'));
  const out = {
    reference,
    ack: ackOnce,
    retransmissions,
    clientRest: net('clients') - clientSphinx / n,
    relayRest: net('relayMain') + net('relayThreads') - relaySphinx / n,
    others: net('others'),
    background,
  };
  return { ...out, total: Object.values(out).reduce((a, b) => a + b, 0) };
}

export const BREAKDOWN_LABELS: Record<Exclude<keyof CostBreakdown, 'total'>, string> = {
  reference: 'create + hops × process',
  ack: 'ack (SURB, packet from it, hops)',
  retransmissions: 'retransmissions (packets and acks sent again)',
  clientRest: 'clients beyond Sphinx (sealing, fragments, WebSocket, timers)',
  relayRest: 'relays beyond Sphinx (TCP/WebSocket I/O, framing, hand-off, scheduler, replay filter, metrics, GC)',
  others: 'directory and service providers (beyond idle)',
  background: 'idle network over the burst (requester cover, monitor probes, announces)',
};
