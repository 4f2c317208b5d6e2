/**
 * The live feed behind the page: the collector's snapshot once a second, with the probe client's
 * delivery and latency figures and, in trace mode, the last window's anonymity, kept as a short
 * history so a page that opens late still draws its charts from the start of the window.
 */
import { createClient, type MixnetClient } from '@mixnet/client';
import { clientNetwork, readState } from '@mixnet/testnet';
import { type AnonymityFigures, windowAnonymity } from './anonymity.js';
import { type Collector, createCollector, type Snapshot } from './collector.js';
import { type LatencyFigures, latencyFigures } from './latency.js';
import { createProbe, type Probe, type ProbeFigures } from './probe.js';

export interface ClientsView extends ProbeFigures {
  /** Over the last `windowMs` of deliveries. */
  latency: LatencyFigures;
  windowMs: number;
  connected: boolean;
}

export interface FeedSnapshot extends Snapshot {
  clients: ClientsView | null;
  /** Why the probe client is not running. */
  clientsError?: string;
  anonymity: AnonymityFigures | null;
}

export interface FeedOptions {
  stateDir: string;
  /** Poll interval (default 1 s). */
  intervalMs?: number;
  /** Probe messages per second (default 2; 0: no probe client). */
  probeRateHz?: number;
  /** How often the trace window is analysed (default 10 s). */
  anonymityEveryMs?: number;
  /** Snapshots kept for late pages (default 300). */
  history?: number;
}

export interface Feed {
  readonly history: readonly FeedSnapshot[];
  latest(): FeedSnapshot | undefined;
  subscribe(listener: (s: FeedSnapshot) => void): () => void;
  close(): Promise<void>;
}

const LATENCY_WINDOW_MS = 10_000;

export function createFeed(o: FeedOptions): Feed {
  const collector: Collector = createCollector({ stateDir: o.stateDir });
  const history: FeedSnapshot[] = [];
  const listeners = new Set<(s: FeedSnapshot) => void>();
  const probeRate = o.probeRateHz ?? 2;
  let client: MixnetClient | undefined;
  let probe: Probe | undefined;
  let clientsError: string | undefined;
  let connecting = false;
  let anonymity: AnonymityFigures | null = null;
  let analysing = false;
  let lastAnalysis = 0;
  let closed = false;

  /** The probe client joins once the testnet runs; a failure is shown and retried on a later tick. */
  const ensureProbe = () => {
    if (probeRate <= 0 || client || connecting) return;
    const state = readState(o.stateDir);
    if (!state) return;
    connecting = true;
    createClient({
      ...clientNetwork(state),
      traffic: { cover: false },
      ...(state.trace ? { trace: { dir: state.trace } } : {}),
    }).then(
      (c) => {
        connecting = false;
        if (closed) return void c.close({ flushMs: 0 });
        client = c;
        clientsError = undefined;
        probe = createProbe({ client: c, rateHz: probeRate });
      },
      (err: Error) => {
        connecting = false;
        clientsError = err.message;
      },
    );
  };

  const maybeAnalyse = (snap: Snapshot) => {
    if (!snap.traced || analysing || Date.now() - lastAnalysis < (o.anonymityEveryMs ?? 10_000)) return;
    const state = readState(o.stateDir);
    if (!state?.trace) return;
    analysing = true;
    lastAnalysis = Date.now();
    windowAnonymity({ traceDir: state.trace, topologyPath: state.topologyPath, mu: state.mu })
      .then((a) => {
        anonymity = a;
      })
      .finally(() => {
        analysing = false;
      });
  };

  const tick = async () => {
    const snap = await collector.collect();
    ensureProbe();
    maybeAnalyse(snap);
    const clients: ClientsView | null =
      probe && client
        ? {
            ...probe.figures(),
            latency: latencyFigures(probe.samples(), snap.at, LATENCY_WINDOW_MS),
            windowMs: LATENCY_WINDOW_MS,
            connected: client.connected,
          }
        : null;
    const full: FeedSnapshot = {
      ...snap,
      clients,
      ...(clientsError ? { clientsError } : {}),
      anonymity: snap.traced ? anonymity : null,
    };
    history.push(full);
    if (history.length > (o.history ?? 300)) history.shift();
    for (const l of listeners) l(full);
  };

  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    if (closed) return;
    const started = Date.now();
    await tick().catch(() => {});
    if (!closed) timer = setTimeout(loop, Math.max(0, (o.intervalMs ?? 1000) - (Date.now() - started)));
  };
  void loop();

  return {
    history,
    latest: () => history.at(-1),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      probe?.stop();
      await client?.close({ flushMs: 0 });
    },
  };
}
