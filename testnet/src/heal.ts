/**
 * The self-healing experiment (issue 13, item 4) on real processes: a 3-layer testnet with 2 active
 * mixes per layer, 2 standby mixes, 3 gateways and short epochs; one client sends to another with
 * acks throughout while faults are injected one after the other:
 *
 *   mixes      SIGKILL one active mix of layer 2 and one of layer 3
 *   gateway    SIGKILL the sender's gateway (the sender moves to another one)
 *   directory  SIGKILL the directory, leave it down two epochs, start it again
 *
 * Each fault has three phases of traffic: `pre` (a fixed number of messages before), `fault` (from
 * the kill until two epochs later, and at least until the directory published a document without
 * the dead nodes and both clients use it; for the directory: the outage, the restart and the first
 * new epoch), and `post` (the same number again): "within two epochs of a kill, latency is back".
 * The result is a timeline, the raw material for heal.test.ts's assertions and for the bench
 * plot; this module asserts nothing.
 */
import type { ClientEvent, MixnetClient } from '@mixnet/client';
import { createClient } from '@mixnet/client';
import type { TopologyDocument } from '@mixnet/sphinx/wire';
import { type DirectoryRef, fetchDocument, fetchEpochDocument } from './directory-api.js';
import { createTrafficFlow, type MessageRecord, type TrafficFlow } from './heal-traffic.js';
import type { TestnetState } from './layout.js';
import { controlNode } from './node-control.js';
import { downTestnet, upTestnet } from './testnet.js';

export type HealFault = 'mixes' | 'gateway' | 'directory';

export interface HealOptions {
  /** State folder (under /tmp); the testnet is brought up there and always taken down. */
  dir: string;
  epochMs?: number;
  /** The clients' mean per-hop delay (ms): it should dominate latency, so CPU noise matters less. */
  mu?: number;
  rateHz?: number;
  /** Messages in each `pre` and `post` phase. */
  phaseMessages?: number;
  faults?: HealFault[];
  /** Where the testnet runs; kills are `docker kill` in containers. */
  runtime?: 'process' | 'docker';
  log?: (line: string) => void;
}

export interface DocumentRecord {
  epoch: number;
  validFrom: number;
  /** When this run first saw it (ms since the Unix epoch). */
  seenAt: number;
  hash: string;
  mixes: string[];
  gateways: string[];
  standby: string[];
}

export interface FaultRecord {
  kind: HealFault;
  targets: string[];
  /** The epoch of the document current when the targets were killed. */
  killEpoch: number;
  killedAt: number;
  /** Standby nodes of the role hit, in the document at the kill. */
  standbyBefore: string[];
  /** First document without the targets in its active set (mixes, gateway). */
  healedEpoch?: number;
  healedAt?: number;
  activeAfter?: string[];
  /** When both clients route from that document (or, for the directory, from a document after the restart). */
  clientsAt?: number;
  /** Directory: when it was started again, the last epoch before the kill and its hash then and after the restart. */
  restartedAt?: number;
  lastEpochBefore?: { epoch: number; hash: string; hashAfterRestart?: string };
  firstEpochAfterRestart?: number;
  /** Client events seen during this fault (directory-unreachable, gateway-changed, …). */
  events: { at: number; client: string; type: string }[];
  /** Set when a step did not happen in time (the timeline goes on). */
  timedOut?: string;
}

export interface HealTimeline {
  startedAt: number;
  readyMs: number;
  epochMs: number;
  mu: number;
  phaseMessages: number;
  faults: FaultRecord[];
  documents: DocumentRecord[];
  messages: MessageRecord[];
}

const activeMixes = (d: TopologyDocument) => d.layers.flat().map((n) => n.id);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the directory's document every 200 ms and keeps one record per epoch seen. */
function watchDocuments(dir: DirectoryRef) {
  const documents: DocumentRecord[] = [];
  let latest: TopologyDocument | undefined;
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      try {
        const v = await fetchDocument(dir, 1_000);
        if (v && !documents.some((d) => d.epoch === v.document.epoch && d.hash === v.hash)) {
          latest = v.document;
          documents.push({
            epoch: v.document.epoch,
            validFrom: v.document.validFrom,
            seenAt: Date.now(),
            hash: v.hash,
            mixes: activeMixes(v.document),
            gateways: v.document.gateways.map((g) => g.id),
            standby: v.document.standby.map((s) => s.id),
          });
        }
      } catch {
        // Down (the directory fault) or restarting: keep polling.
      }
      await sleep(200);
    }
  };
  const done = loop();
  return {
    documents,
    latest: () => latest,
    async until(pred: (d: TopologyDocument) => boolean, timeoutMs: number): Promise<TopologyDocument | undefined> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (latest && pred(latest)) return latest;
        await sleep(100);
      }
      return undefined;
    },
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

const gatewayOf = (c: MixnetClient) => c.address.split('@')[1] as string;

async function clientsOn(clients: MixnetClient[], epoch: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (clients.every((c) => (c.topologyStatus().epoch ?? -1) >= epoch)) return true;
    await sleep(50);
  }
  return false;
}

export async function runHealScenario(o: HealOptions): Promise<HealTimeline> {
  const log = o.log ?? (() => {});
  const epochMs = o.epochMs ?? 5_000;
  const mu = o.mu ?? 20;
  const phaseMessages = o.phaseMessages ?? 150;
  const startedAt = Date.now();
  const docker = o.runtime === 'docker' ? await import('./docker.js') : undefined;
  const down = () => (docker ? docker.downDocker(o.dir) : downTestnet(o.dir));
  const state: TestnetState = await (docker?.upDocker ?? upTestnet)({
    dir: o.dir,
    layers: 3,
    nodesPerLayer: 2,
    standby: 2,
    gateways: 3,
    epochMs,
    mu,
    chain: 'none',
    logLevel: 'warn',
    onProgress: log,
  });
  const directory = state.directory as DirectoryRef;
  const watcher = watchDocuments(directory);
  const clients: MixnetClient[] = [];
  let flow: TrafficFlow | undefined;
  const faults: FaultRecord[] = [];
  let current: FaultRecord | undefined;
  try {
    // Retransmit after ~1 s: fast recovery without flooding a 2-core machine with resends while
    // routes still cross dead mixes; 60 attempts outlast any fault here.
    const traffic = { mu, cover: false, sendGapMs: 0, ackWaitAdditionMs: 1_000, maxAttempts: 60 };
    const onEvent = (client: string) => (e: ClientEvent) =>
      current?.events.push({ at: Date.now(), client, type: e.type });
    const alice = await createClient({ directory, traffic, onEvent: onEvent('alice') });
    clients.push(alice);
    // Bob on another gateway than Alice's: the gateway fault kills the sender's and leaves the receiver's.
    const other = alice.topology.gateways.find((g) => g.id !== gatewayOf(alice))?.id;
    const bob = await createClient({
      directory,
      traffic,
      onEvent: onEvent('bob'),
      ...(other ? { gateway: other } : {}),
    });
    clients.push(bob);
    flow = createTrafficFlow({ from: alice, to: bob, rateHz: o.rateHz ?? 10, sizes: { min: 64, max: 6_000 } });
    const f = flow;
    const heal = 4 * epochMs + 10_000;

    for (const kind of o.faults ?? ['mixes', 'gateway', 'directory']) {
      f.phase = `${kind}:pre`;
      await f.sent(f.phase, phaseMessages);
      const doc = watcher.latest() as TopologyDocument;
      const targets =
        kind === 'mixes'
          ? [doc.layers[1]?.[0]?.id, doc.layers[2]?.[0]?.id].filter((x): x is string => x !== undefined)
          : kind === 'gateway'
            ? [gatewayOf(alice)]
            : ['directory'];
      const rec: FaultRecord = {
        kind,
        targets,
        killEpoch: doc.epoch,
        killedAt: 0,
        standbyBefore: doc.standby
          .filter((s) => (kind === 'gateway' ? s.role === 'gateway' : s.role === 'mix'))
          .map((s) => s.id),
        events: [],
      };
      current = rec;
      faults.push(rec);
      f.phase = `${kind}:fault`;
      rec.killedAt = Date.now();
      for (const t of targets) await controlNode(o.dir, t, 'kill');
      log(`${kind}: killed ${targets.join(', ')} in epoch ${doc.epoch}`);

      if (kind === 'directory') {
        const before = watcher.documents.filter((d) => d.epoch === doc.epoch).at(-1);
        rec.lastEpochBefore = { epoch: doc.epoch, hash: before?.hash ?? '' };
        await sleep(2 * epochMs);
        rec.restartedAt = Date.now();
        await controlNode(o.dir, 'directory', 'start');
        log(`directory: started again after ${rec.restartedAt - rec.killedAt} ms`);
        const next = await watcher.until((d) => d.epoch > doc.epoch, heal);
        if (!next) rec.timedOut = 'no new epoch after the restart';
        else {
          rec.firstEpochAfterRestart = next.epoch;
          rec.lastEpochBefore.hashAfterRestart = await fetchEpochDocument(directory, doc.epoch)
            .then((v) => v.hash)
            .catch(() => undefined);
          if (await clientsOn(clients, next.epoch, heal)) rec.clientsAt = Date.now();
          else rec.timedOut = `clients not on epoch ${next.epoch}`;
        }
      } else {
        const healed = await watcher.until(
          (d) =>
            d.epoch > doc.epoch &&
            !targets.some((t) => [...activeMixes(d), ...d.gateways.map((g) => g.id)].includes(t)),
          heal,
        );
        if (!healed) rec.timedOut = `${targets.join(', ')} still active ${heal} ms after the kill`;
        else {
          rec.healedEpoch = healed.epoch;
          rec.healedAt = Date.now();
          rec.activeAfter = kind === 'gateway' ? healed.gateways.map((g) => g.id) : activeMixes(healed);
          log(`${kind}: epoch ${healed.epoch} without ${targets.join(', ')}`);
          if (await clientsOn(clients, healed.epoch, heal)) rec.clientsAt = Date.now();
          else rec.timedOut = `clients not on epoch ${healed.epoch}`;
        }
      }
      const wait = rec.killedAt + 2 * epochMs - Date.now();
      if (kind !== 'directory' && wait > 0) await sleep(wait);
      f.phase = `${kind}:post`;
      await f.sent(f.phase, phaseMessages);
    }
    await f.stop(60_000);
  } finally {
    await flow?.stop(0).catch(() => {});
    await watcher.stop();
    await Promise.all(clients.map((c) => c.close({ flushMs: 0 }).catch(() => {})));
    await down();
  }
  return {
    startedAt,
    readyMs: state.readyMs ?? 0,
    epochMs,
    mu,
    phaseMessages,
    faults,
    documents: watcher.documents,
    messages: [...(flow?.records ?? [])],
  };
}
