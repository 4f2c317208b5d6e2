/**
 * A node's side of the directory (docs/directory.md §2, §5, §6): it registers the node's signed
 * descriptor and re-announces it every `announceMs` (and at once when asked, e.g. on a key change);
 * it polls the topology document just after each boundary (jittered) and every half epoch (pollDelay), checks
 * each one (pinned key, size, schema, epoch never going backwards) and hands accepted ones to
 * `onDocument` listeners. Refusals are counted by code and logged. The last good document is kept
 * on disk, so a restart while the directory is down starts from it; while the directory cannot be
 * reached the node keeps its document, says so once per outage, and retries with backoff.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type DocumentCache,
  DocumentError,
  type NodeDescriptor,
  type SignedDocument,
  type SphinxKeyEntry,
  signDescriptor,
  type TopologyDocument,
  type VerifiedDocument,
  verifyTopologyDocument,
} from '@mixnet/sphinx/wire';
import { Counter, Gauge, type Registry } from 'prom-client';
import { DirectoryUnreachable, fetchTopology, postDescriptor, type TopologyFetcher } from './directory-client.js';
import { createEd25519Signer, documentSignatureVerifier } from './ed25519-native.js';
import type { Logger } from './logger.js';

export interface DirectoryAgentOptions {
  url: string;
  /** The pinned directory key (Ed25519, 32 bytes). */
  publicKey: Uint8Array;
  announceMs: number;
  /** The descriptor's fields but its keys and time, which the agent fills in at each announce. */
  node: Omit<NodeDescriptor, 'v' | 'kind' | 'sphinxKeys' | 'issuedAt' | 'identityKey'>;
  identityPrivateKey: Uint8Array;
  identityPublicKey: Uint8Array;
  /** The Sphinx keys to announce (current and next rotation, with their proofs). */
  sphinxKeys: () => SphinxKeyEntry[];
  /** Where the last good document is kept (JSON of the signed document). */
  documentPath?: string;
  logger: Logger;
  /** Metrics go here (the node's registry). */
  registry?: Registry;
  /** ms between polls before the first document (default 1_000) */
  firstPollMs?: number;
  /** longest wait between retries while unreachable (default 10_000) */
  maxBackoffMs?: number;
  timeoutMs?: number;
  now?: () => number;
  /** Uniform in [0, 1): the jitter of polls and re-announces (tests). */
  random?: () => number;
  /** How documents are fetched (a node host shares one fetcher among its nodes); default one call each. */
  fetchTopology?: TopologyFetcher;
}

export type DocumentListener = (doc: TopologyDocument, previous: TopologyDocument | undefined) => void;

export interface DirectoryStatus {
  epoch: number | undefined;
  keyRotation: number | undefined;
  validUntil: number | undefined;
  /** the document's validUntil is more than one epoch in the past */
  stale: boolean;
  reachable: boolean;
}

export interface DirectoryAgentStats {
  accepted: number;
  refused: Record<string, number>;
  announced: number;
  announceFailures: Record<string, number>;
}

export interface DirectoryAgent {
  /** Loads the saved document (listeners hear it), then announces and polls in the background. */
  start(): void;
  stop(): Promise<void>;
  current(): TopologyDocument | undefined;
  status(): DirectoryStatus;
  /** Called for every accepted document, and at once with the current one if there is one. */
  onDocument(cb: DocumentListener): () => void;
  /** Announces now (coalesced with one in flight); true if the directory accepted it. */
  announce(): Promise<boolean>;
  /** Fetches the document now. */
  poll(): Promise<void>;
  readonly stats: DirectoryAgentStats;
}

const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Documents checked in this process: a node host's nodes all fetch the same one each epoch. */
const checkedDocuments: DocumentCache = new Map();

export function createDirectoryAgent(opts: DirectoryAgentOptions): DirectoryAgent {
  const { logger } = opts;
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const log = logger.child({ directory: opts.url });
  const fetchDocument = opts.fetchTopology ?? fetchTopology;
  const registers = opts.registry ? [opts.registry] : [];
  const m = {
    accepted: new Counter({
      name: 'mixnet_directory_documents_accepted_total',
      help: 'Topology documents accepted',
      registers,
    }),
    refused: new Counter({
      name: 'mixnet_directory_documents_refused_total',
      help: 'Topology documents refused, by code',
      labelNames: ['code'],
      registers,
    }),
    announced: new Counter({
      name: 'mixnet_directory_announces_total',
      help: 'Descriptors the directory accepted',
      registers,
    }),
    announceFailures: new Counter({
      name: 'mixnet_directory_announce_failures_total',
      help: 'Descriptors refused (by the directory’s code) or not delivered (unreachable)',
      labelNames: ['reason'],
      registers,
    }),
    epoch: new Gauge({ name: 'mixnet_directory_epoch', help: 'Epoch of the current document', registers }),
    reachable: new Gauge({
      name: 'mixnet_directory_reachable',
      help: '1 while the directory answers, 0 during an outage',
      registers,
    }),
  };
  const signer = createEd25519Signer(opts.identityPrivateKey, opts.identityPublicKey);
  const stats: DirectoryAgentStats = { accepted: 0, refused: {}, announced: 0, announceFailures: {} };

  /** the accepted document and its signature (to save it as it came) */
  let current: (VerifiedDocument & { signature: string }) | undefined;
  const listeners = new Set<DocumentListener>();
  let reachable = true;
  let backoffMs = 0;
  let pollTimer: NodeJS.Timeout | undefined;
  let announceTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastIssuedAt = 0;
  let announcing: Promise<boolean> | undefined;
  let announceAgain = false;
  let polling: Promise<void> | undefined;
  const warned = new Set<string>(); // refusals already logged at warn, so a repeat is quiet
  m.reachable.set(1);

  const outage = (err: Error) => {
    m.reachable.set(0);
    if (!reachable) return;
    reachable = false;
    log.warn(
      { err: err.message, epoch: current?.document.epoch ?? null },
      current ? `directory unreachable, keeping epoch ${current.document.epoch}` : 'directory unreachable',
    );
  };
  const back = () => {
    m.reachable.set(1);
    backoffMs = 0;
    if (reachable) return;
    reachable = true;
    log.info('directory reachable again');
    void announce(); // it may have lost us while it was down
  };

  const accept = (v: VerifiedDocument & { signature: string }, fromDisk: boolean) => {
    const previous = current?.document;
    current = v;
    m.epoch.set(v.document.epoch);
    if (!fromDisk) {
      stats.accepted++;
      m.accepted.inc();
      if (opts.documentPath) saveDocument(opts.documentPath, { document: v.text, signature: v.signature });
    }
    if (v.stale)
      log.warn({ epoch: v.document.epoch }, 'the topology document is stale (the directory has not published since)');
    log.info({ epoch: v.document.epoch, keyRotation: v.document.keyRotation, fromDisk }, 'topology document accepted');
    for (const cb of listeners) cb(v.document, previous);
  };
  const refuse = (code: string, message: string, key: string) => {
    stats.refused[code] = (stats.refused[code] ?? 0) + 1;
    m.refused.inc({ code });
    const fields = { code, err: message };
    if (warned.has(`${code}:${key}`)) log.debug(fields, 'topology document refused');
    else {
      warned.add(`${code}:${key}`);
      log.warn(fields, 'topology document refused');
    }
  };

  const pollOnce = async () => {
    let got: Awaited<ReturnType<typeof fetchTopology>>;
    try {
      got = await fetchDocument(opts.url, current ? `"${current.hash}"` : undefined, opts);
    } catch (err) {
      if (!(err instanceof DirectoryUnreachable)) throw err;
      outage(err);
      return false;
    }
    back();
    if (got.kind === 'not-modified' || got.kind === 'no-epoch') return true;
    if (got.kind === 'oversize') refuse('OVERSIZE', `answer of ${got.bytes} bytes or more`, String(got.bytes));
    else if (got.kind === 'malformed') refuse('MALFORMED', got.message, got.message);
    else {
      const key =
        typeof (got.body as SignedDocument)?.signature === 'string' ? (got.body as SignedDocument).signature : '';
      try {
        const v = verifyTopologyDocument(got.body, {
          publicKey: opts.publicKey,
          verifySignature: documentSignatureVerifier,
          cache: checkedDocuments,
          ...(current ? { afterEpoch: current.document.epoch } : {}),
          now: now(),
        });
        // The same document again (no ETag support on the way): nothing new.
        if (v.hash !== current?.hash) accept({ ...v, signature: key }, false);
      } catch (err) {
        if (!(err instanceof DocumentError)) throw err;
        refuse(err.code, err.message, key);
      }
    }
    return true;
  };

  const nextPollDelay = (ok: boolean): number => {
    if (!ok) {
      backoffMs = Math.min(opts.maxBackoffMs ?? 10_000, backoffMs === 0 ? 500 : backoffMs * 2);
      return backoffMs;
    }
    const doc = current?.document;
    if (!doc) return opts.firstPollMs ?? 1_000;
    return pollDelay(doc, now(), random);
  };

  const poll = (): Promise<void> => {
    if (polling) return polling;
    polling = pollOnce()
      .catch((err: Error) => {
        log.error({ err: err.message }, 'polling the directory failed');
        return false;
      })
      .then((ok) => {
        polling = undefined;
        if (stopped) return;
        clearTimeout(pollTimer);
        pollTimer = setTimeout(() => void poll(), nextPollDelay(ok));
        pollTimer.unref();
      });
    return polling;
  };

  const announceOnce = async (): Promise<boolean> => {
    const issuedAt = Math.max(now(), lastIssuedAt + 1); // strictly newer than the last (REPLAYED)
    lastIssuedAt = issuedAt;
    const descriptor: NodeDescriptor = {
      v: 1,
      kind: 'node',
      ...opts.node,
      identityKey: toHex(opts.identityPublicKey),
      sphinxKeys: opts.sphinxKeys(),
      issuedAt,
    };
    const fail = (reason: string) => {
      stats.announceFailures[reason] = (stats.announceFailures[reason] ?? 0) + 1;
      m.announceFailures.inc({ reason });
      return false;
    };
    let result: Awaited<ReturnType<typeof postDescriptor>>;
    try {
      result = await postDescriptor(opts.url, signDescriptor(descriptor, signer), opts);
    } catch (err) {
      if (!(err instanceof DirectoryUnreachable)) throw err;
      outage(err);
      return fail('unreachable');
    }
    back();
    if (!result.ok) {
      const fields = { code: result.code, status: result.status, err: result.message };
      if (warned.has(`announce:${result.code}`)) log.debug(fields, 'the directory refused our descriptor');
      else {
        warned.add(`announce:${result.code}`);
        log.warn(fields, 'the directory refused our descriptor');
      }
      return fail(result.code);
    }
    warned.forEach((k) => {
      if (k.startsWith('announce:')) warned.delete(k);
    });
    stats.announced++;
    m.announced.inc();
    return true;
  };

  const announce = (): Promise<boolean> => {
    if (stopped) return Promise.resolve(false);
    if (announcing) {
      announceAgain = true; // the keys may have changed after the one in flight was signed
      return announcing;
    }
    announcing = announceOnce()
      .catch((err: Error) => {
        log.error({ err: err.message }, 'announcing to the directory failed');
        return false;
      })
      .finally(() => {
        announcing = undefined;
        if (announceAgain && !stopped) {
          announceAgain = false;
          void announce();
        }
      });
    return announcing;
  };

  return {
    start() {
      if (opts.documentPath) {
        const saved = loadDocument(opts.documentPath, opts.publicKey, now(), log);
        if (saved) accept(saved, true);
      }
      void announce();
      void poll();
      // Re-announces 80–100 % of announceMs apart (never later: expiry counts 3 × announceMs), so
      // the nodes of a host, started together, do not all sign and post in the same tick.
      const again = () => {
        if (stopped) return;
        announceTimer = setTimeout(
          () => {
            void announce();
            again();
          },
          opts.announceMs * (0.8 + 0.2 * random()),
        );
        announceTimer.unref();
      };
      again();
    },
    async stop() {
      stopped = true;
      clearTimeout(pollTimer);
      clearTimeout(announceTimer);
      await Promise.allSettled([polling, announcing]);
    },
    current: () => current?.document,
    status() {
      const doc = current?.document;
      return {
        epoch: doc?.epoch,
        keyRotation: doc?.keyRotation,
        validUntil: doc?.validUntil,
        stale: doc ? doc.validUntil + doc.epochMs < now() : false,
        reachable,
      };
    },
    onDocument(cb) {
      listeners.add(cb);
      if (current) cb(current.document, undefined);
      return () => listeners.delete(cb);
    },
    announce,
    poll,
    stats,
  };
}

/**
 * When to poll next with a current document: once just after the next boundary, at a random point
 * of its first tenth (at most 2 s) so a network's nodes do not all ask in the same instant; while
 * the next document is late, every eighth of an epoch (0.5–2 s); otherwise every half epoch (at
 * most 5 s), which catches a document issued again within its epoch (a key rotation or a scale
 * published early) within seconds. An unchanged poll is a 304.
 */
export function pollDelay(doc: TopologyDocument, now: number, random: () => number): number {
  const spread = Math.min(doc.epochMs / 10, 2_000);
  const untilNext = doc.validUntil + 100 + random() * spread - now;
  if (untilNext <= 0) return Math.max(500, Math.min(doc.epochMs / 8, 2_000)) * (0.75 + 0.5 * random());
  const every = Math.min(doc.epochMs / 2, 5_000) * (0.9 + 0.2 * random());
  return Math.min(every, untilNext);
}

function saveDocument(path: string, signed: SignedDocument): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(signed), { mode: 0o600 });
  renameSync(tmp, path);
}

/** The saved document if it is still signed by the pinned key; anything else is ignored, with a warning. */
function loadDocument(
  path: string,
  publicKey: Uint8Array,
  now: number,
  log: Logger,
): (VerifiedDocument & { signature: string }) | undefined {
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn({ err: (err as Error).message, path }, 'ignoring the saved topology document');
    return undefined;
  }
  try {
    const v = verifyTopologyDocument(body, { publicKey, now });
    return { ...v, signature: (body as SignedDocument).signature };
  } catch (err) {
    log.warn({ err: (err as Error).message, path }, 'ignoring the saved topology document');
    return undefined;
  }
}
