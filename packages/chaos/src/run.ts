/**
 * `mixnet chaos run`: start the scenario's network (or use the running one), start its traffic and
 * its timeline together, let both finish, read the nodes' metrics and the directory's epochs, and
 * judge the expectations. A network it started is always taken down again; faults it set on a
 * running one are undone.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { createClient, type MixnetClient } from '@mixnet/client';
import type { TopologyDocument } from '@mixnet/sphinx/wire';
import { downTestnet, fetchDocument, readState, type TestnetState, upTestnet } from '@mixnet/testnet';
import { type DocumentSeen, evaluate, risesPending } from './expectations.js';
import { createFaultControl } from './faults-adapter.js';
import type { Sample } from './metrics.js';
import { dropDeltas, scrape } from './metrics.js';
import type { ChaosReport } from './report.js';
import type { Scenario } from './scenario-schema.js';
import { resolve } from './selectors.js';
import { scenarioSvg } from './svg.js';
import { startTimeline } from './timeline.js';
import { startMessages, startRelayTx, type Traffic } from './traffic.js';

export interface ChaosRunOptions {
  scenario: Scenario;
  file?: string;
  /** The running testnet's state folder (`network: running`), or where to start the scenario's (default: a fresh /tmp folder). */
  stateDir?: string;
  /** Where report.json and timeline.svg go (default: none written). */
  outDir?: string;
  log?: (line: string) => void;
  /** Aborting (Ctrl-C) ends the traffic at once, undoes the faults and takes down what it started. */
  signal?: AbortSignal;
}

export class ChaosError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChaosError';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gatewayOf = (c: MixnetClient) => c.address.split('@')[1] as string;

/** Polls the directory's document and keeps one record per epoch (the active set as seen). */
function watchEpochs(state: TestnetState) {
  const documents: DocumentSeen[] = [];
  let latest: TopologyDocument | undefined;
  let stopped = false;
  const loop = async () => {
    while (!stopped && state.directory) {
      try {
        const v = await fetchDocument(state.directory, 1_000);
        if (v && v.document.epoch !== latest?.epoch) {
          latest = v.document;
          documents.push({
            epoch: v.document.epoch,
            seenAt: Date.now(),
            active: [...v.document.layers.flat().map((n) => n.id), ...v.document.gateways.map((g) => g.id)],
          });
        }
      } catch {
        // The directory is down (an outage step): keep polling.
      }
      await sleep(250);
    }
  };
  const done = loop();
  return {
    documents,
    latest: () => latest,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

async function scrapeAll(state: TestnetState): Promise<Map<string, Sample[] | undefined>> {
  const nodes = state.processes.filter((p) => p.role !== 'chain');
  const samples = await Promise.all(nodes.map((p) => scrape(p.metricsUrl)));
  return new Map(nodes.map((p, i) => [p.id, samples[i]]));
}

async function startNetwork(s: Scenario, o: ChaosRunOptions, log: (l: string) => void) {
  if (s.network === 'running') {
    const dir = resolvePath(o.stateDir ?? process.env.MIXNET_STATE ?? '.mixnet/testnet');
    const state = readState(dir);
    if (!state) throw new ChaosError(`network: running, but there is no testnet in ${dir} (pass --state)`);
    return { dir, state, owned: false };
  }
  const n = s.network;
  const dir = o.stateDir ? resolvePath(o.stateDir) : mkdtempSync(join(tmpdir(), `mixnet-chaos-${s.name}-`));
  log(`starting ${n.layers} layers × ${n.perLayer} (+${n.standby} standby), ${n.gateways} gateways in ${dir}`);
  const state = await upTestnet({
    dir,
    layers: n.layers,
    nodesPerLayer: n.perLayer,
    standby: n.standby,
    gateways: n.gateways,
    standbyGateways: n.standbyGateways,
    epochMs: n.epoch,
    mu: n.mu,
    chain: n.chain ? 'hardhat' : 'none',
    logLevel: 'warn',
    ...(n.latency === 'geo' ? { latency: 'geo' as const } : {}),
    ...(typeof n.latency === 'object'
      ? {
          emulation: {
            latencyMs: n.latency.delay,
            ...(n.latency.jitter !== undefined ? { jitterMs: n.latency.jitter } : {}),
            ...(n.latency.loss !== undefined ? { lossRate: n.latency.loss } : {}),
          },
        }
      : {}),
    onProgress: (m) => log(m),
  });
  return { dir, state, owned: true };
}

export async function runScenario(o: ChaosRunOptions): Promise<ChaosReport> {
  const s = o.scenario;
  const log = o.log ?? (() => {});
  const wallStart = Date.now();
  const { dir, state, owned } = await startNetwork(s, o, log);
  const watcher = watchEpochs(state);
  const clients: MixnetClient[] = [];
  let traffic: Traffic | undefined;
  let timeline: ReturnType<typeof startTimeline> | undefined;
  try {
    const t = s.traffic;
    const network = state.directory ? { directory: state.directory } : { topology: state.topologyPath };
    const options = {
      mu: state.mu,
      cover: false,
      sendGapMs: 0,
      acks: t.acks,
      ackWaitAdditionMs: t.retransmitAfter,
      maxAttempts: t.maxAttempts,
    };
    const client = (gateway?: string) =>
      createClient({ ...network, traffic: options, ...(gateway ? { gateway } : {}) }).then((c) => {
        clients.push(c);
        return c;
      });
    const first = await client(t.senderGateway);
    const senders = [first];
    for (let i = 1; i < t.clients; i++) senders.push(await client(t.senderGateway ?? gatewayOf(first)));
    let receiver: MixnetClient | undefined;
    if (t.kind === 'messages') {
      const other = first.topology.gateways.find((g) => g.id !== gatewayOf(first))?.id;
      receiver = await client(t.receiverGateway ?? other);
    }
    const metricsBefore = await scrapeAll(state);
    const startedAt = Date.now();
    log(`traffic: ${t.kind}, ${t.rate}/s for ${t.duration / 1000} s; ${s.timeline.length} steps`);
    if (t.kind === 'messages') traffic = startMessages({ spec: t, senders, receiver: receiver as MixnetClient });
    else {
      // Its full address (identity@gateway), not its id: an id is looked up in each new document,
      // and a document that drops the service provider would fail every request at the sender.
      const listed =
        first.topology.serviceProviders.find((p) => p.id === state.serviceProvider?.id) ??
        first.topology.serviceProviders[0];
      const sp = listed ? `${listed.address}@${listed.gateway}` : undefined;
      if (!sp) throw new ChaosError('relay-tx traffic needs a service provider in the network');
      traffic = await startRelayTx({ spec: t, senders, serviceProvider: sp });
    }
    const tl = startTimeline({
      dir,
      steps: s.timeline,
      faults: createFaultControl(dir),
      context: () => ({
        state: readState(dir) ?? state,
        document: watcher.latest(),
        senderGateway: gatewayOf(first),
        ...(receiver ? { receiverGateway: gatewayOf(receiver) } : {}),
      }),
      epoch: () => watcher.latest()?.epoch,
      log,
    });
    timeline = tl;
    await new Promise<void>((done) => {
      const timer = setTimeout(done, o.signal?.aborted ? 0 : t.duration);
      o.signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        done();
      });
    });
    if (o.signal?.aborted) throw new ChaosError('interrupted: faults undone, nothing judged');
    log(`traffic stopped at ${t.duration / 1000} s; waiting for the last messages and faults`);
    await Promise.all([traffic.stop(t.drain), tl.done]);
    const trafficMs = Date.now() - startedAt;
    // Active-set expectations need the epochs they name: wait for them (bounded).
    const wanted = (s.expect.outOfActiveSet ?? []).map((x) => {
      const rec =
        tl.records.find((r) => x.node.some((sel) => sel === `@${r.name}` || r.targets.includes(sel))) ?? tl.records[0];
      return (rec?.epoch ?? watcher.latest()?.epoch ?? 0) + x.withinEpochs;
    });
    const epochMs = state.epochMs ?? 5_000;
    const deadline = Date.now() + (Math.max(0, ...wanted) - (watcher.latest()?.epoch ?? 0) + 1) * epochMs;
    while (wanted.some((e) => (watcher.latest()?.epoch ?? 0) < e) && Date.now() < deadline) await sleep(200);
    let metricsAfter = await scrapeAll(state);
    const ctx = () => ({
      state: readState(dir) ?? state,
      document: watcher.latest(),
      names: tl.names,
      senderGateway: gatewayOf(first),
      ...(receiver ? { receiverGateway: gatewayOf(receiver) } : {}),
    });
    // A counter expected to rise gets until the victim's grace has run out (graceMs is one epoch by
    // default) and the nodes' next document poll (≤ 5 s): judged any earlier, a `departed` count
    // races the scrape.
    const settleBy = Date.now() + 2 * epochMs + 5_000;
    const resolveNow = (sels: readonly string[]) => resolve(sels, ctx());
    const facts = () => ({ metricsBefore, metricsAfter, resolve: resolveNow });
    while (risesPending(s.expect, facts()) && Date.now() < settleBy) {
      await sleep(500);
      metricsAfter = await scrapeAll(state);
    }
    const records = traffic.records();
    const chainCount = traffic.chainCount ? await traffic.chainCount() : undefined;
    const verdicts = evaluate(s.expect, {
      records,
      metricsBefore,
      metricsAfter,
      documents: watcher.documents,
      steps: tl.records,
      ...(chainCount !== undefined ? { chainCount } : {}),
      resolve: resolveNow,
    });
    const report: ChaosReport = {
      scenario: s.name,
      ...(o.file ? { file: o.file } : {}),
      pass: verdicts.every((v) => v.pass),
      startedAt,
      trafficMs,
      wallMs: Date.now() - wallStart,
      verdicts,
      steps: tl.records,
      documents: [...watcher.documents],
      messages: records,
      drops: dropDeltas(metricsBefore, metricsAfter),
      ...(chainCount !== undefined ? { chainCount } : {}),
    };
    if (o.outDir) {
      mkdirSync(o.outDir, { recursive: true });
      writeFileSync(join(o.outDir, `${s.name}.json`), `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(join(o.outDir, `${s.name}.svg`), scenarioSvg(s.name, startedAt, records, tl.records));
    }
    return report;
  } finally {
    await timeline?.stop().catch(() => {});
    await traffic?.stop(0).catch(() => {});
    await watcher.stop();
    await Promise.all(clients.map((c) => c.close({ flushMs: 0 }).catch(() => {})));
    if (owned) await downTestnet(dir).catch(() => {});
  }
}
