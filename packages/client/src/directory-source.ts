/**
 * Where a client's topology comes from (docs/directory.md §5–6): the directory, or a file or object
 * for offline use. A directory source fetches the signed document with If-None-Match, verifies it
 * against the pinned key, never goes back an epoch, refreshes at each epoch boundary and
 * periodically, and keeps the last good document while the directory is down or answers badly,
 * saying so once per outage.
 */
import {
  DocumentError,
  type DocumentErrorCode,
  hex,
  MAX_DOCUMENT_SIZE,
  readBodyCapped,
  type Topology,
  type TopologyDocument,
  verifyTopologyDocument,
} from '@mixnet/sphinx/wire';
import { ClientOptionsError } from './options.js';
import { unref } from './platform/timers.js';
import { uniform } from './random.js';
import { loadTopology, type TopologySource } from './topology.js';

export interface DirectoryOptions {
  /** Base URL of the directory's HTTP API, e.g. `http://127.0.0.1:7000`. */
  url: string;
  /** The directory's Ed25519 public key (32 bytes, or 64 hex characters): documents must carry its signature. */
  publicKey: string | Uint8Array;
}

export interface TopologyRefreshOptions {
  /** Longest gap between two fetches, whatever the epoch (Nym's clients: 5 min). Default 30 s. */
  intervalMs: number;
  /** Spread of the fetch after an epoch boundary, so clients do not all ask at once. Default 500 ms. */
  jitterMs: number;
  /** First retry after a failed fetch (or a boundary with no new document yet); doubles up to `maxRetryMs`. Default 500 ms. */
  retryMs: number;
  maxRetryMs: number;
  /** One request's time limit. Default 5 s. */
  timeoutMs: number;
  /** Without a fallback topology, how long the first document may take before start fails. Default 15 s. */
  startTimeoutMs: number;
}

export const DEFAULT_REFRESH: TopologyRefreshOptions = {
  intervalMs: 30_000,
  jitterMs: 500,
  retryMs: 500,
  maxRetryMs: 5_000,
  timeoutMs: 5_000,
  startTimeoutMs: 15_000,
};

export type TopologyEvent =
  /** A new topology is in use (a new epoch, or the same epoch re-signed with changes). */
  | { type: 'topology'; epoch: number | undefined; previousEpoch: number | undefined; stale: boolean }
  /** The directory could not be reached or answered badly; the last good topology stays in use. Once per outage. */
  | { type: 'directory-unreachable'; epoch: number | undefined; reason: string }
  /** A good answer again after an outage. */
  | { type: 'directory-reachable'; epoch: number | undefined }
  /** A document failed its checks (counted); `epoch` is the one kept. */
  | { type: 'document-refused'; code: DocumentErrorCode; message: string; epoch: number | undefined };

export interface DirectoryStats {
  fetches: number;
  accepted: number;
  notModified: number;
  /** Network errors, timeouts and HTTP errors. */
  failures: number;
  refused: Partial<Record<DocumentErrorCode, number>>;
}

export interface TopologyFeed {
  readonly kind: 'directory' | 'static';
  /** The topology routes are built from now. */
  readonly topology: Topology;
  /** The current signed document's body (directory sources only). */
  readonly document: TopologyDocument | undefined;
  readonly epoch: number | undefined;
  /** false during an outage of the directory (always true for a static source). */
  readonly reachable: boolean;
  /** The document in use ended more than one epoch ago: the directory has not published since. */
  readonly stale: boolean;
  onEvent(cb: (e: TopologyEvent) => void): () => void;
  /** Fetches now (coalesced with a fetch in progress). */
  refresh(): Promise<void>;
  stats(): DirectoryStats;
  close(): void;
}

export interface TopologySourceOptions {
  directory?: DirectoryOptions;
  /** A topology file, URL or object: the source without a directory, the fallback with one. */
  topology?: TopologySource;
  refresh?: Partial<TopologyRefreshOptions>;
  /** Sees the events of the start too (a later `onEvent` does not). */
  onEvent?: (e: TopologyEvent) => void;
  /** For tests: the clock documents are judged by. */
  now?: () => number;
}

/** The directory gave no usable document before `startTimeoutMs`, and there is no fallback topology. */
export class DirectoryUnavailableError extends Error {
  constructor(url: string, reason: string) {
    super(`directory ${url}: no usable topology document (${reason})`);
    this.name = 'DirectoryUnavailableError';
  }
}

export function parseDirectoryOptions(d: DirectoryOptions): { url: string; publicKey: Uint8Array } {
  if (typeof d !== 'object' || d === null) throw new ClientOptionsError('directory must be { url, publicKey }');
  let url: URL;
  try {
    url = new URL(d.url);
  } catch {
    throw new ClientOptionsError(`directory.url must be an http(s) URL, got "${d.url}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ClientOptionsError(`directory.url must be an http(s) URL, got "${d.url}"`);
  let key: Uint8Array | undefined;
  if (d.publicKey instanceof Uint8Array) key = d.publicKey;
  else if (typeof d.publicKey === 'string' && /^[0-9a-fA-F]{64}$/.test(d.publicKey))
    key = hex.decode(d.publicKey.toLowerCase());
  if (key?.length !== 32)
    throw new ClientOptionsError('directory.publicKey must be the 32-byte Ed25519 key (64 hex characters)');
  return { url: url.href.replace(/\/+$/, ''), publicKey: key };
}

function resolveRefresh(r: Partial<TopologyRefreshOptions> | undefined): TopologyRefreshOptions {
  const out = { ...DEFAULT_REFRESH, ...(r ?? {}) };
  for (const [k, v] of Object.entries(out))
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (k !== 'jitterMs' && v === 0))
      throw new ClientOptionsError(`refresh.${k} must be a positive number of ms, got ${v}`);
  return out;
}

/** The body as text, or undefined when it is unreadable or over `max` bytes (a hostile server has no bound). */
async function readBounded(res: Response, max: number): Promise<string | undefined> {
  const body = await readBodyCapped(res, max).catch(() => undefined);
  return body && 'bytes' in body ? new TextDecoder().decode(body.bytes) : undefined;
}

type Poll = { kind: 'new' | 'same' } | { kind: 'failed'; reason: string };

/** A feed over a fixed topology (a file or object): offline use, nothing to refresh. */
async function staticFeed(source: TopologySource): Promise<TopologyFeed> {
  const topology = await loadTopology(source);
  return {
    kind: 'static',
    topology,
    document: undefined,
    epoch: undefined,
    reachable: true,
    stale: false,
    onEvent: () => () => {},
    refresh: async () => {},
    stats: () => ({ fetches: 0, accepted: 0, notModified: 0, failures: 0, refused: {} }),
    close: () => {},
  };
}

export async function createTopologySource(opts: TopologySourceOptions): Promise<TopologyFeed> {
  if (!opts.directory) {
    if (opts.topology === undefined) throw new ClientOptionsError('topology or directory is required');
    return staticFeed(opts.topology);
  }
  const { url, publicKey } = parseDirectoryOptions(opts.directory);
  const refresh = resolveRefresh(opts.refresh);
  const now = opts.now ?? Date.now;
  const fallback = opts.topology === undefined ? undefined : await loadTopology(opts.topology);
  const listeners = new Set<(e: TopologyEvent) => void>();
  const stats: DirectoryStats = { fetches: 0, accepted: 0, notModified: 0, failures: 0, refused: {} };
  let topology: Topology | undefined;
  let document: TopologyDocument | undefined;
  let hash: string | undefined;
  let etag: string | undefined;
  let reachable = true;
  let failures = 0;
  let lateChecks = 0;
  let timer: NodeJS.Timeout | undefined;
  let inflight: Promise<Poll> | undefined;
  let closed = false;
  const controller = new AbortController();

  const emit = (e: TopologyEvent) => {
    for (const cb of [opts.onEvent, ...listeners]) {
      try {
        cb?.(e);
      } catch {
        // A listener's error is its own.
      }
    }
  };

  const outage = (reason: string) => {
    stats.failures++;
    if (!reachable) return;
    reachable = false;
    emit({ type: 'directory-unreachable', epoch: document?.epoch, reason });
  };
  const healthy = () => {
    if (reachable) return;
    reachable = true;
    emit({ type: 'directory-reachable', epoch: document?.epoch });
  };

  const fetchOnce = async (): Promise<Poll> => {
    stats.fetches++;
    let res: Response;
    try {
      res = await fetch(`${url}/v1/topology`, {
        headers: etag ? { 'if-none-match': etag } : {},
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(refresh.timeoutMs)]),
      });
    } catch (err) {
      const reason =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${refresh.timeoutMs} ms`
          : String((err as Error).cause ?? (err as Error).message);
      outage(reason);
      return { kind: 'failed', reason };
    }
    if (res.status === 304) {
      await res.body?.cancel().catch(() => {});
      stats.notModified++;
      healthy();
      return { kind: 'same' };
    }
    const body = await readBounded(res, MAX_DOCUMENT_SIZE + 4096);
    if (res.status !== 200 || body === undefined) {
      const reason =
        res.status === 404 && body?.includes('NO_EPOCH')
          ? 'the directory has not published an epoch yet'
          : body === undefined
            ? `HTTP ${res.status}, body unreadable or over ${MAX_DOCUMENT_SIZE} bytes`
            : `HTTP ${res.status}`;
      outage(reason);
      return { kind: 'failed', reason };
    }
    try {
      const signed: unknown = JSON.parse(body);
      const verified = verifyTopologyDocument(signed, {
        publicKey,
        ...(document ? { afterEpoch: document.epoch } : {}),
        now: now(),
      });
      etag = res.headers.get('etag') ?? `"${verified.hash}"`;
      healthy();
      if (verified.hash === hash) return { kind: 'same' };
      const previousEpoch = document?.epoch;
      document = verified.document;
      topology = { layers: document.layers, gateways: document.gateways, serviceProviders: document.serviceProviders };
      hash = verified.hash;
      stats.accepted++;
      emit({ type: 'topology', epoch: document.epoch, previousEpoch, stale: verified.stale });
      return { kind: 'new' };
    } catch (err) {
      const e =
        err instanceof DocumentError
          ? err
          : new DocumentError('MALFORMED', `answer is not JSON: ${(err as Error).message}`);
      stats.refused[e.code] = (stats.refused[e.code] ?? 0) + 1;
      emit({ type: 'document-refused', code: e.code, message: e.message, epoch: document?.epoch });
      outage(`refused a document: ${e.message}`);
      return { kind: 'failed', reason: e.message };
    }
  };

  const poll = (): Promise<Poll> => {
    inflight ??= fetchOnce().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  /** When to ask next: just after the current epoch ends, at the latest after `intervalMs`; sooner after a failure. */
  const nextDelay = (p: Poll): number => {
    const backoff = (n: number) => Math.min(refresh.retryMs * 2 ** Math.min(n, 20), refresh.maxRetryMs);
    if (p.kind === 'failed') return backoff(failures++);
    failures = 0;
    if (p.kind === 'new') lateChecks = 0;
    if (!document) return refresh.intervalMs;
    const untilBoundary = document.validUntil - now();
    if (untilBoundary > 0) return Math.min(untilBoundary + uniform() * refresh.jitterMs, refresh.intervalMs);
    // Past the boundary and no new document yet: the directory is about to publish.
    return backoff(lateChecks++);
  };

  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (closed) return;
    timer = setTimeout(() => void poll().then((p) => schedule(nextDelay(p))), ms);
    unref(timer);
  };

  // The start: a first document, or the fallback, or retries until startTimeoutMs.
  const deadline = performance.now() + refresh.startTimeoutMs;
  let first = await poll();
  while (first.kind === 'failed' && !fallback) {
    const wait = Math.min(nextDelay(first), deadline - performance.now());
    if (wait <= 0) throw new DirectoryUnavailableError(url, first.reason);
    await new Promise((r) => setTimeout(r, wait));
    first = await poll();
  }
  if (first.kind !== 'failed') failures = 0;
  schedule(nextDelay(first));

  return {
    kind: 'directory',
    get topology() {
      return (topology ?? fallback) as Topology;
    },
    get document() {
      return document;
    },
    get epoch() {
      return document?.epoch;
    },
    get reachable() {
      return reachable;
    },
    get stale() {
      return document !== undefined && document.validUntil + document.epochMs < now();
    },
    onEvent(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    async refresh() {
      const p = await poll();
      schedule(nextDelay(p));
    },
    stats: () => structuredClone(stats),
    close() {
      closed = true;
      clearTimeout(timer);
      controller.abort();
    },
  };
}
