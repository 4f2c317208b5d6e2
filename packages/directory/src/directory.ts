/**
 * The directory authority (docs/directory.md): the registry, the network monitor, the epoch clock
 * and the signed documents, the store, and the HTTP API, wired together.
 *
 * Timeline: the monitor runs a round at start and every `monitor.intervalMs` (and, until the first
 * document, soon after each new registration). The first document (epoch 0) is published as soon
 * as a round leaves ≥ 1 eligible mix per layer and ≥ 1 eligible gateway; that instant is the
 * grid's genesis. Later documents are published at each boundary of the grid; after a restart the
 * numbering continues from the stored documents and never goes back.
 */

import type { BackendChoice } from '@mixnet/sphinx';
import { documentHash, signTopologyDocument, type TopologyDocument, verifyTopologyDocument } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import { type Logger, pino } from 'pino';
import { createAutoSizer } from './auto-sizer.js';
import { type DirectoryConfig, type DirectoryConfigInput, parseDirectoryConfig } from './config.js';
import { createDescriptorVerifier } from './descriptor-verifier.js';
import { buildDocument, type EligibilityView, eligibleNodes, listServiceProviders } from './document.js';
import { type EpochGrid, epochAt, keyRotationOf, nextEpoch } from './epochs.js';
import { readKeyFile, readTokenFile } from './keys.js';
import { createDirectoryMetrics, type DirectoryMetrics } from './metrics.js';
import { createMonitor, type MonitorTarget, type ProbeFn, type RoundSummary } from './monitor.js';
import { createProber, type Prober } from './prober.js';
import { createRegistry, type NodeEntry } from './registry.js';
import { createScoreBook } from './scores.js';
import {
  type DirectoryServer,
  type NodeView,
  type PublishedDocument,
  type StatusView,
  startDirectoryServer,
} from './server.js';
import { createStore, StoreError } from './store.js';
import { countStates, nodeViews } from './views.js';

export interface DirectoryOptions {
  logger?: Logger;
  /** Replaces the client SDK probes (tests). */
  probe?: ProbeFn;
  /** Replaces the HTTP read of a mix's /metrics for auto-sizing (tests). */
  scrapeMetrics?: (metricsUrl: string, timeoutMs: number) => Promise<string>;
  crypto?: BackendChoice;
}

export interface Directory {
  /** Listens, and starts the monitor and the epoch clock. */
  start(): Promise<{ port: number; url: string }>;
  /** Stops everything and saves the state. */
  stop(): Promise<void>;
  readonly config: DirectoryConfig;
  /** The Ed25519 key documents are signed with: what everyone pins. */
  readonly publicKey: Uint8Array;
  readonly publicKeyHex: string;
  /** http://host:port, once started. */
  readonly url: string;
  readonly metrics: DirectoryMetrics;
  readonly logger: Logger;
  current(): PublishedDocument | undefined;
  nodes(): NodeView[];
  status(): StatusView;
  /** One monitor round now (or the one running). */
  runMonitorRound(): Promise<RoundSummary>;
}

const MEMORY_DOCUMENTS = 16;
const SAVE_DELAY_MS = 500;
/**
 * A re-announce that changes nothing but its time is saved with the next save, at most this late:
 * at 170 nodes re-announcing every 10 s, saving the whole registry 500 ms after each was about 2 %
 * of a core. Losing one in a crash costs nothing: a restarted directory gives every node a full
 * expiry period (registry `since`), and a replayed renewal says what the saved one says.
 */
const RENEWAL_SAVE_DELAY_MS = 5_000;
/** Until the first document, a new registration brings the next round this close. */
const EARLY_ROUND_MS = 100;

/** The key a probe uses: the current rotation's, else the newest older one, else the oldest. */
function probeKey(entry: NodeEntry, rotation: number): string {
  const keys = [...entry.descriptor.sphinxKeys].sort((a, b) => a.rotation - b.rotation);
  const older = keys.filter((k) => k.rotation <= rotation);
  return ((older[older.length - 1] ?? keys[0]) as { key: string }).key;
}

export function createDirectory(input: DirectoryConfigInput, opts: DirectoryOptions = {}): Directory {
  const config = parseDirectoryConfig(input);
  const logger = opts.logger ?? pino({ level: config.log.level, name: config.id, base: { node: config.id } });
  const secret = readKeyFile(config.identityKeyFile);
  const publicKey = ed25519.getPublicKey(secret);
  const publicKeyHex = Buffer.from(publicKey).toString('hex');
  const adminToken = config.adminTokenFile ? readTokenFile(config.adminTokenFile) : undefined;
  const metrics = createDirectoryMetrics({ id: config.id });
  const store = createStore(config.dataDir);

  const state = store.loadState();
  let activePerLayer = state.activePerLayer ?? config.activePerLayer;
  const startedAt = Date.now();
  const registry = createRegistry({
    admission: config.admission,
    announceMs: config.announceMs,
    restore: store.loadRegistry(),
    since: startedAt,
    verifier: createDescriptorVerifier(),
  });
  const scores = createScoreBook({ window: config.monitor.window, restore: store.loadScores() });

  // The documents: the last one verified with our key (a data folder of another directory is refused).
  const documents = new Map<number, PublishedDocument>();
  let current: (PublishedDocument & { document: TopologyDocument }) | undefined;
  const storedEpochs = store.epochs();
  const lastStored = storedEpochs[storedEpochs.length - 1];
  if (lastStored !== undefined) {
    const signed = store.loadDocument(lastStored);
    try {
      const v = verifyTopologyDocument(signed, { publicKey });
      current = {
        epoch: v.document.epoch,
        signed: signed as PublishedDocument['signed'],
        hash: v.hash,
        document: v.document,
      };
      documents.set(current.epoch, current);
    } catch (err) {
      throw new StoreError(
        `${config.dataDir}: the stored document of epoch ${lastStored} does not verify with this directory's key (${(err as Error).message})`,
      );
    }
  }
  let genesis = state.genesis;
  if (current && genesis === null)
    throw new StoreError(`${config.dataDir}/state.json: documents are stored but no genesis`);
  const grid = (): EpochGrid => ({ genesis: genesis ?? Date.now(), epochMs: config.epochMs });

  let prober: Prober | undefined;
  const probe: ProbeFn =
    opts.probe ??
    ((route, timeoutMs) => {
      prober ??= createProber({
        identity: ed25519.utils.randomSecretKey(),
        muMs: config.monitor.muMs,
        ...(opts.crypto ? { crypto: opts.crypto } : {}),
      });
      return prober.probe(route, timeoutMs);
    });
  const monitor = createMonitor({
    layers: config.layers,
    packetsPerNode: config.monitor.packetsPerNode,
    timeoutMs: config.monitor.timeoutMs,
    probe,
    scores,
    // The epoch's budget shared out over its rounds; before the first document, no spreading: the
    // network is waiting for it.
    budget: () => {
      const perEpoch = config.monitor.probesPerEpoch;
      return perEpoch === undefined
        ? undefined
        : Math.max(1, Math.round((perEpoch * config.monitor.intervalMs) / config.epochMs));
    },
    spreadMs: () => (current ? config.monitor.spreadMs : 0),
    // Before the first document every node is tested each round: the network waits for them all.
    strictBudget: () => current !== undefined && config.monitor.strictBudget,
  });

  const autoSizer = config.activeSet
    ? createAutoSizer({
        activeSet: config.activeSet,
        layers: config.layers,
        metrics,
        logger,
        ...(opts.scrapeMetrics ? { meter: { scrape: opts.scrapeMetrics } } : {}),
      })
    : undefined;
  /** Every registered, unexpired mix with a metrics URL: read at each epoch boundary. */
  const sampleTraffic = async () => {
    const mixes = registry
      .nodes()
      .filter((e) => e.descriptor.role === 'mix' && e.descriptor.metricsUrl && !registry.isExpired(e))
      .map((e) => ({ id: e.descriptor.id, metricsUrl: e.descriptor.metricsUrl as string }));
    await autoSizer?.sample(mixes);
  };

  let server: DirectoryServer | undefined;
  let url = '';
  let stopped = false;
  let firstRoundDone = false;
  let epochTimer: NodeJS.Timeout | undefined;
  let monitorTimer: NodeJS.Timeout | undefined;
  let earlyTimer: NodeJS.Timeout | undefined;
  let saveTimer: NodeJS.Timeout | undefined;
  let saveDue = Number.POSITIVE_INFINITY;
  let nextDue: number | null = null;
  let lastWaiting = '';

  const saveNow = () => {
    clearTimeout(saveTimer);
    saveTimer = undefined;
    saveDue = Number.POSITIVE_INFINITY;
    store.saveRegistry(registry.entries());
    store.saveScores(scores.windows());
  };
  /** Saves within `delayMs`: one pending save serves every change, moved earlier when one is urgent. */
  const saveSoon = (delayMs = SAVE_DELAY_MS) => {
    if (stopped) return;
    const due = Date.now() + delayMs;
    if (saveTimer && due >= saveDue) return;
    clearTimeout(saveTimer);
    saveDue = due;
    saveTimer = setTimeout(() => {
      saveTimer = undefined;
      saveDue = Number.POSITIVE_INFINITY;
      try {
        saveNow();
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'saving state failed');
      }
    }, delayMs);
  };

  const rotationNow = () => keyRotationOf(genesis === null ? 0 : epochAt(grid(), Date.now()), config.keyRotationEpochs);

  const targets = (): MonitorTarget[] => {
    const rotation = rotationNow();
    return registry
      .nodes()
      .filter((e) => !registry.isExpired(e))
      .map((e) => {
        const d = e.descriptor;
        const node = { id: d.id, address: d.address, sphinxKey: probeKey(e, rotation), identityKey: d.identityKey };
        return {
          id: d.id,
          role: d.role,
          node: d.role === 'gateway' ? { ...node, clientUrl: d.clientUrl as string } : node,
        };
      });
  };

  const updateGauges = () => {
    const views = nodeViews(registry, scores, current?.document);
    metrics.score.reset();
    for (const v of views) if (v.score !== null) metrics.score.set({ node: v.id, node_role: v.role }, v.score);
    for (const [s, n] of Object.entries(countStates(views))) metrics.nodes.set({ state: s }, n);
  };

  let roundRunning: Promise<RoundSummary> | undefined;
  const runRound = (): Promise<RoundSummary> => {
    roundRunning ??= measure().finally(() => {
      roundRunning = undefined;
    });
    return roundRunning;
  };
  const measure = async (): Promise<RoundSummary> => {
    const list = targets();
    const roles = new Map(list.map((t) => [t.id, t.role]));
    const summary = await monitor.runRound(list);
    metrics.rounds.inc();
    for (const [id, r] of summary.results) {
      const role = roles.get(id) ?? 'mix';
      metrics.probesSent.inc({ node_role: role }, r.sent);
      metrics.probesReturned.inc({ node_role: role }, r.delivered);
    }
    await prober?.retain(new Set(list.filter((t) => t.role === 'gateway').map((t) => t.id)));
    saveSoon();
    updateGauges();
    logger.debug({ sent: summary.sent, delivered: summary.delivered }, 'monitor round');
    return summary;
  };

  const roundThenMaybePublish = () => {
    if (stopped) return;
    runRound().then(
      () => {
        firstRoundDone = true;
        // Until there is a document, or when one is overdue, every round is a chance to publish.
        if (!stopped && (!current || (nextDue !== null && nextDue <= Date.now()))) publish();
        if (earlyPending && !current) requestEarlyRound();
        earlyPending = false;
      },
      (err: Error) => logger.error({ err: err.message }, 'monitor round failed'),
    );
  };

  /** Until the first document, a registration brings a round soon; one asked for during a round follows it. */
  let earlyPending = false;
  const requestEarlyRound = () => {
    if (stopped || earlyTimer) return;
    earlyTimer = setTimeout(() => {
      earlyTimer = undefined;
      if (roundRunning) earlyPending = true;
      else roundThenMaybePublish();
    }, EARLY_ROUND_MS);
  };

  const scheduleEpoch = () => {
    clearTimeout(epochTimer);
    if (stopped || genesis === null) return;
    const { dueAt } = nextEpoch(grid(), current?.epoch ?? -1, Date.now());
    nextDue = dueAt;
    epochTimer = setTimeout(() => {
      if (!firstRoundDone) return;
      // Auto-sizing reads the ending epoch's traffic first (each scrape is bounded by its timeout).
      if (autoSizer)
        sampleTraffic().then(publish, (err: Error) => {
          logger.error({ err: err.message }, 'reading traffic failed');
          publish();
        });
      else publish();
    }, dueAt - Date.now());
  };

  function publish(): void {
    if (stopped) return;
    const now = Date.now();
    const first = genesis === null;
    const g: EpochGrid = first ? { genesis: now, epochMs: config.epochMs } : grid();
    const { epoch, dueAt } = first ? { epoch: 0, dueAt: now } : nextEpoch(g, current?.epoch ?? -1, now);
    if (dueAt > now) {
      scheduleEpoch();
      return;
    }
    const view: EligibilityView = {
      isExpired: (e) => registry.isExpired(e),
      score: (id) => scores.score(id),
      tested: (id) => scores.tested(id),
    };
    const sized = autoSizer?.plan({
      epoch,
      layers: current?.document.layers.map((l) => l.map((n) => n.id)) ?? [],
      available: eligibleNodes(registry.nodes(), view, keyRotationOf(epoch, config.keyRotationEpochs)).filter(
        (e) => e.entry.descriptor.role === 'mix',
      ).length,
    });
    const document = buildDocument({
      epoch,
      grid: g,
      graceMs: config.graceMs,
      keyRotationEpochs: config.keyRotationEpochs,
      layers: config.layers,
      activePerLayer: sized?.width ?? activePerLayer,
      activeGateways: config.activeGateways,
      nodes: registry.nodes(),
      serviceProviders: registry.serviceProviders(),
      view,
      ...(sized ? { muMs: sized.muMs } : {}),
      ...(current ? { previous: { document: current.document, hash: current.hash } } : {}),
      now,
    });
    if (!document) {
      // The next monitor round tries again (nextDue is past).
      const counts = countStates(nodes());
      // Said once at info until it changes, then at debug: this repeats every round while it lasts.
      const line = JSON.stringify(counts);
      (line === lastWaiting ? logger.debug : logger.info).call(
        logger,
        { epoch, ...counts },
        'not enough eligible nodes for a document yet',
      );
      lastWaiting = line;
      if (!first) nextDue = dueAt;
      return;
    }
    if (first) {
      genesis = now;
      store.saveState({ genesis, activePerLayer: state.activePerLayer });
    }
    const signed = signTopologyDocument(document, secret);
    // Stored before it is served: a restart never goes back to an older epoch.
    store.saveDocument(epoch, signed);
    const published = { epoch, signed, hash: documentHash(signed.document), document };
    current = published;
    documents.set(epoch, published);
    for (const e of [...documents.keys()]) if (documents.size > MEMORY_DOCUMENTS && e !== epoch) documents.delete(e);
    store.prune(config.historyEpochs);
    metrics.epoch.set(epoch);
    metrics.published.inc();
    updateGauges();
    logger.info(
      {
        epoch,
        keyRotation: document.keyRotation,
        mixes: document.layers.map((l) => l.length),
        gateways: document.gateways.length,
        standby: document.standby.length,
        ...(document.muMs !== undefined ? { muMs: document.muMs } : {}),
      },
      'epoch published',
    );
    scheduleEpoch();
  }

  /**
   * A service provider that registered or moved is listed at once: the current epoch is issued again
   * with the same draw and its new serviceProviders (clients take a same-epoch document that changed),
   * so nobody waits a whole epoch to reach it.
   */
  function reissueForServiceProviders(): void {
    if (!current || stopped) return;
    const doc = current.document;
    const serviceProviders = listServiceProviders(
      registry.serviceProviders(),
      new Set(doc.gateways.map((g) => g.id)),
      (e) => registry.isExpired(e),
    );
    if (JSON.stringify(serviceProviders) === JSON.stringify(doc.serviceProviders)) return;
    const document = { ...doc, serviceProviders, issuedAt: Math.max(Date.now(), doc.issuedAt + 1) };
    const signed = signTopologyDocument(document, secret);
    store.saveDocument(document.epoch, signed);
    current = { epoch: document.epoch, signed, hash: documentHash(signed.document), document };
    documents.set(document.epoch, current);
    logger.info({ epoch: document.epoch, serviceProviders: serviceProviders.map((s) => s.id) }, 'epoch issued again');
  }

  const submit = (body: unknown) => {
    const entry = registry.submit(body);
    saveSoon(entry.renewal ? RENEWAL_SAVE_DELAY_MS : SAVE_DELAY_MS);
    if (!current) requestEarlyRound();
    else if (entry.descriptor.kind === 'service-provider') reissueForServiceProviders();
    return { descriptor: entry.descriptor, epoch: current?.epoch ?? null };
  };

  const documentOf = (epoch: number): PublishedDocument | undefined => {
    const known = documents.get(epoch);
    if (known) return known;
    const signed = store.loadDocument(epoch);
    return signed ? { epoch, signed, hash: documentHash(signed.document) } : undefined;
  };

  const nodes = () => nodeViews(registry, scores, current?.document);
  const status = (): StatusView => ({
    epoch: current?.epoch ?? null,
    validUntil: current?.document.validUntil ?? null,
    nextEpochAt: genesis === null ? null : nextDue,
    keyRotation: current?.document.keyRotation ?? null,
    // Auto-sizing: the width of the current document (the operator's scale is unused then).
    activePerLayer: autoSizer ? Math.max(0, ...(current?.document.layers.map((l) => l.length) ?? [0])) : activePerLayer,
    counts: countStates(nodes()),
  });

  return {
    config,
    publicKey,
    publicKeyHex,
    metrics,
    logger,
    get url() {
      return url;
    },
    current: () => current,
    nodes,
    status,
    runMonitorRound: runRound,
    async start() {
      server = await startDirectoryServer({
        listen: config.listen,
        logger,
        metrics,
        ...(adminToken ? { adminToken } : {}),
        api: {
          submit,
          current: () => current,
          document: documentOf,
          nodes,
          status,
          scale(n) {
            activePerLayer = n;
            state.activePerLayer = n;
            store.saveState({ genesis, activePerLayer: n });
            return { activePerLayer: n, fromEpoch: current ? current.epoch + 1 : null };
          },
          health: () => ({
            ok: true,
            body: {
              status: 'ok',
              role: 'directory',
              id: config.id,
              epoch: current?.epoch ?? null,
              publicKey: publicKeyHex,
            },
          }),
        },
      });
      url = `http://${config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host}:${server.port}`;
      if (current) metrics.epoch.set(current.epoch);
      updateGauges();
      roundThenMaybePublish();
      monitorTimer = setInterval(roundThenMaybePublish, config.monitor.intervalMs);
      scheduleEpoch();
      logger.info({ url, publicKey: publicKeyHex, epoch: current?.epoch ?? null }, 'directory started');
      return { port: server.port, url };
    },
    async stop() {
      stopped = true;
      monitor.stop();
      clearTimeout(epochTimer);
      clearInterval(monitorTimer);
      clearTimeout(earlyTimer);
      await server?.close();
      await prober?.close();
      saveNow();
    },
  };
}
