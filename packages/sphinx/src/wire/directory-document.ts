/**
 * The topology document the directory publishes every epoch, signed with its Ed25519 key
 * (docs/directory.md §5). Its `layers`, `gateways` and `serviceProviders` are the offline topology
 * file's shape, so a document's body is a Topology. Every check throws a DocumentError with a code.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, fromHex, toHex, utf8 } from '../bytes.js';
import { verifyIdentitySignature } from './identity.js';
import { type Topology, TopologyError, type TopologyNode, validateTopology, validateTopologyNode } from './topology.js';

export const MAX_DOCUMENT_SIZE = 1024 * 1024;
const DOCUMENT_CONTEXT = utf8('mixnet-topology-v1\n');

export type DocumentErrorCode = 'OVERSIZE' | 'MALFORMED' | 'BAD_SIGNATURE' | 'EPOCH_BACKWARDS';

export class DocumentError extends Error {
  readonly code: DocumentErrorCode;
  constructor(code: DocumentErrorCode, message: string) {
    super(message);
    this.name = 'DocumentError';
    this.code = code;
  }
}

export interface StandbyNode extends TopologyNode {
  role: 'mix' | 'gateway';
  clientUrl?: string;
}

export interface TopologyDocument extends Topology {
  v: 1;
  epoch: number;
  keyRotation: number;
  validFrom: number;
  validUntil: number;
  epochMs: number;
  graceMs: number;
  issuedAt: number;
  /** The draw's seed, hex (docs/directory.md §4). */
  seed: string;
  standby: StandbyNode[];
  /** Each listed node's score in [0, 1] when the draw was made. */
  scores: Record<string, number>;
  /**
   * The mean per-hop delay clients draw for this epoch, ms (docs/directory.md §7). Absent: clients
   * keep their own. Optional, so older documents and readers still work.
   */
  muMs?: number;
}

/** Bound on a published μ: 10 s per hop is far beyond any useful mixing delay. */
export const MAX_DOCUMENT_MU_MS = 10_000;

export interface SignedDocument {
  document: string;
  signature: string;
}

export interface VerifiedDocument {
  document: TopologyDocument;
  /** The signed JSON text, as received. */
  text: string;
  /** SHA-256 of the text, hex: the ETag, and the next epoch's seed input. */
  hash: string;
  /** validUntil is more than one epoch in the past: the directory has not published since. */
  stale: boolean;
}

export function documentHash(text: string): string {
  return toHex(sha256(utf8(text)));
}

export function signTopologyDocument(document: TopologyDocument, directorySecret: Uint8Array): SignedDocument {
  const text = JSON.stringify(document);
  const signature = ed25519.sign(concatBytes(DOCUMENT_CONTEXT, utf8(text)), directorySecret);
  return { document: text, signature: toHex(signature) };
}

const bad = (field: string, what: string): never => {
  throw new DocumentError('MALFORMED', `document.${field} ${what}`);
};

function int(o: Record<string, unknown>, f: string, min = 0): number {
  const v = o[f];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) bad(f, `must be an integer ≥ ${min}`);
  return v as number;
}

function parseBody(o: Record<string, unknown>): TopologyDocument {
  if (o.v !== 1) bad('v', 'must be 1');
  let topology: Topology;
  try {
    topology = validateTopology(o);
  } catch (err) {
    if (err instanceof TopologyError) throw new DocumentError('MALFORMED', `document: ${err.message}`);
    throw err;
  }
  const epochMs = int(o, 'epochMs', 1);
  const validFrom = int(o, 'validFrom');
  const validUntil = int(o, 'validUntil');
  if (validUntil <= validFrom) bad('validUntil', 'must be after validFrom');
  if (typeof o.seed !== 'string' || !/^[0-9a-f]{64}$/.test(o.seed)) bad('seed', 'must be 32 bytes of hex');
  if (!Array.isArray(o.standby)) bad('standby', 'must be an array');
  const standby = (o.standby as unknown[]).map((s, i) => {
    if (typeof s !== 'object' || s === null) bad(`standby[${i}]`, 'must be an object');
    const r = s as Record<string, unknown>;
    if (r.role !== 'mix' && r.role !== 'gateway') bad(`standby[${i}].role`, 'must be "mix" or "gateway"');
    let n: TopologyNode;
    try {
      n = validateTopologyNode(r, `standby[${i}]`);
    } catch (err) {
      throw new DocumentError('MALFORMED', `document.${(err as Error).message}`);
    }
    const out: StandbyNode = { ...n, role: r.role as 'mix' | 'gateway' };
    if (r.role === 'gateway') {
      if (typeof r.clientUrl !== 'string' || !/^wss?:\/\//.test(r.clientUrl))
        bad(`standby[${i}].clientUrl`, 'must be a ws:// or wss:// URL');
      out.clientUrl = r.clientUrl as string;
    }
    return out;
  });
  if (typeof o.scores !== 'object' || o.scores === null || Array.isArray(o.scores)) bad('scores', 'must be an object');
  const scores: Record<string, number> = {};
  for (const [id, s] of Object.entries(o.scores as Record<string, unknown>)) {
    if (typeof s !== 'number' || !(s >= 0 && s <= 1)) bad(`scores.${id}`, 'must be a number from 0 to 1');
    scores[id] = s as number;
  }
  const ids = new Set([...topology.layers.flat(), ...topology.gateways].map((n) => n.id));
  for (const s of standby) if (ids.has(s.id)) bad('standby', `lists "${s.id}", which is active`);
  return {
    v: 1,
    epoch: int(o, 'epoch'),
    keyRotation: int(o, 'keyRotation'),
    validFrom,
    validUntil,
    epochMs,
    graceMs: int(o, 'graceMs'),
    issuedAt: int(o, 'issuedAt'),
    seed: o.seed as string,
    ...topology,
    standby,
    scores,
    ...(o.muMs === undefined ? {} : { muMs: muOf(o.muMs) }),
  };
}

function muOf(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_DOCUMENT_MU_MS)
    bad('muMs', `must be a number from 0 to ${MAX_DOCUMENT_MU_MS}`);
  return v as number;
}

export interface VerifyDocumentOptions {
  /** The pinned directory key (32 bytes). */
  publicKey: Uint8Array;
  /** The last epoch the caller accepted: an older document is refused (EPOCH_BACKWARDS). */
  afterEpoch?: number;
  now?: number;
  /** Replaces `verifyIdentitySignature` (same contract), e.g. a native check once the pinned key is vetted. */
  verifySignature?: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;
  /**
   * Documents already checked, by signature: the same text signed by the same key is not checked,
   * parsed and hashed again (a node host's nodes all fetch the same document). The epoch order and
   * staleness are still checked per call. Treat the documents it returns as read-only.
   */
  cache?: DocumentCache;
}

/** Checked documents by their signature (hex); bounded by its user. */
export type DocumentCache = Map<string, { text: string; publicKey: string; document: TopologyDocument; hash: string }>;

const DOCUMENT_CACHE_SIZE = 8;

/** Checks a signed document as received: size, the pinned key's signature, the schema, the epoch order. */
export function verifyTopologyDocument(signed: unknown, opts: VerifyDocumentOptions): VerifiedDocument {
  if (typeof signed !== 'object' || signed === null || Array.isArray(signed))
    throw new DocumentError('MALFORMED', 'expected {"document": text, "signature": hex}');
  const s = signed as Record<string, unknown>;
  if (typeof s.document !== 'string' || typeof s.signature !== 'string')
    throw new DocumentError('MALFORMED', 'expected {"document": text, "signature": hex}');
  if (s.document.length > MAX_DOCUMENT_SIZE)
    throw new DocumentError('OVERSIZE', `document over ${MAX_DOCUMENT_SIZE} bytes`);
  if (!/^[0-9a-f]{128}$/.test(s.signature)) throw new DocumentError('MALFORMED', 'signature must be 64 bytes of hex');
  const key = toHex(opts.publicKey);
  const known = opts.cache?.get(s.signature);
  const { document, hash } =
    known && known.text === s.document && known.publicKey === key
      ? known
      : checkDocument(s.document, s.signature, opts, key);
  if (opts.afterEpoch !== undefined && document.epoch < opts.afterEpoch)
    throw new DocumentError(
      'EPOCH_BACKWARDS',
      `document of epoch ${document.epoch} is older than epoch ${opts.afterEpoch}`,
    );
  const now = opts.now ?? Date.now();
  return { document, text: s.document, hash, stale: document.validUntil + document.epochMs < now };
}

/** Signature, JSON and schema of a document; remembered in opts.cache when it passes. */
function checkDocument(
  text: string,
  signature: string,
  opts: VerifyDocumentOptions,
  publicKey: string,
): { document: TopologyDocument; hash: string } {
  const verifySignature = opts.verifySignature ?? verifyIdentitySignature;
  if (!verifySignature(fromHex(signature), concatBytes(DOCUMENT_CONTEXT, utf8(text)), opts.publicKey))
    throw new DocumentError('BAD_SIGNATURE', 'the topology document is not signed by the pinned directory key');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DocumentError('MALFORMED', 'document is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new DocumentError('MALFORMED', 'document must be a JSON object');
  const checked = { document: parseBody(parsed as Record<string, unknown>), hash: documentHash(text) };
  if (opts.cache) {
    opts.cache.set(signature, { text, publicKey, ...checked });
    if (opts.cache.size > DOCUMENT_CACHE_SIZE) opts.cache.delete(opts.cache.keys().next().value as string);
  }
  return checked;
}
