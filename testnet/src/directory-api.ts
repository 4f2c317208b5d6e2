/**
 * The testnet's side of the directory's HTTP API (docs/directory.md): the signed topology document
 * (verified against the pinned key before use), the node list, the epoch status, and the admin
 * scale call with the bearer token from the state folder.
 */
import { readFileSync } from 'node:fs';
import { type TopologyDocument, type VerifiedDocument, verifyTopologyDocument } from '@mixnet/sphinx/wire';

export interface DirectoryRef {
  url: string;
  publicKey: string;
  adminTokenFile?: string;
}

/** One row of GET /v1/nodes. */
export interface DirectoryNode {
  id: string;
  role?: string;
  kind?: string;
  state: 'active' | 'standby' | 'down' | 'expired' | string;
  /** null for a service provider (not monitored). */
  score: number | null;
  lastAnnounce?: number;
  layer?: number;
  address?: string;
  identityKey?: string;
}

/** GET /v1/status. */
export interface DirectoryStatus {
  /** null before the first epoch. */
  epoch: number | null;
  validUntil?: number | null;
  nextEpochAt: number | null;
  keyRotation?: number;
  activePerLayer?: number;
  counts?: Record<string, number>;
}

export class DirectoryApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DirectoryApiError';
  }
}

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new DirectoryApiError(`directory unreachable at ${url}: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new DirectoryApiError(`${url} answered ${res.status}: ${text.slice(0, 200)}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new DirectoryApiError(`${url} answered something that is not JSON`);
  }
}

const hexKey = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

/** The current document, signature checked; undefined before the first epoch (404 NO_EPOCH). */
export async function fetchDocument(dir: DirectoryRef, timeoutMs = 2_000): Promise<VerifiedDocument | undefined> {
  let res: Response;
  try {
    res = await fetch(`${dir.url}/v1/topology`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new DirectoryApiError(`directory unreachable at ${dir.url}: ${(err as Error).message}`);
  }
  if (res.status === 404) return undefined;
  if (!res.ok) throw new DirectoryApiError(`${dir.url}/v1/topology answered ${res.status}`);
  return verifyTopologyDocument(await res.json(), { publicKey: hexKey(dir.publicKey) });
}

/** An earlier epoch's document (GET /v1/topology/epoch/N), signature checked. */
export async function fetchEpochDocument(dir: DirectoryRef, epoch: number): Promise<VerifiedDocument> {
  return verifyTopologyDocument(await getJson(`${dir.url}/v1/topology/epoch/${epoch}`, 2_000), {
    publicKey: hexKey(dir.publicKey),
  });
}

export async function fetchNodes(dir: DirectoryRef, timeoutMs = 2_000): Promise<DirectoryNode[]> {
  const body = await getJson(`${dir.url}/v1/nodes`, timeoutMs);
  const list = Array.isArray(body) ? body : (body as { nodes?: unknown }).nodes;
  if (!Array.isArray(list)) throw new DirectoryApiError(`${dir.url}/v1/nodes did not answer a list`);
  return list as DirectoryNode[];
}

export async function fetchStatus(dir: DirectoryRef, timeoutMs = 2_000): Promise<DirectoryStatus> {
  return (await getJson(`${dir.url}/v1/status`, timeoutMs)) as DirectoryStatus;
}

/** The directory at `url` says (GET /health) it holds the key we pinned: not some other process on the port. */
export async function checkDirectoryKey(dir: DirectoryRef): Promise<void> {
  const health = (await getJson(`${dir.url}/health`, 2_000)) as { publicKey?: unknown };
  if (health.publicKey !== undefined && health.publicKey !== dir.publicKey)
    throw new DirectoryApiError(
      `the directory at ${dir.url} has key ${String(health.publicKey).slice(0, 16)}…, not the generated ${dir.publicKey.slice(0, 16)}…`,
    );
}

/** POST /v1/admin/scale with the bearer token; takes effect at the next epoch. */
export async function adminScale(dir: DirectoryRef, activePerLayer: number): Promise<unknown> {
  if (!dir.adminTokenFile) throw new DirectoryApiError('no admin token file for this directory');
  const token = readFileSync(dir.adminTokenFile, 'utf8').trim();
  let res: Response;
  try {
    res = await fetch(`${dir.url}/v1/admin/scale`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ activePerLayer }),
      signal: AbortSignal.timeout(5_000),
    });
  } catch (err) {
    throw new DirectoryApiError(`directory unreachable at ${dir.url}: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new DirectoryApiError(`scale refused (${res.status}): ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

export interface FillTarget {
  layers: number;
  activePerLayer: number;
  activeGateways: number;
  /** Service provider ids that must be listed. */
  serviceProviders?: readonly string[];
}

/** Why a document does not yet carry the whole active set, or undefined when it does. */
export function unfilled(doc: TopologyDocument, t: FillTarget): string | undefined {
  if (doc.layers.length < t.layers) return `${doc.layers.length} of ${t.layers} layers`;
  const short = doc.layers.findIndex((l) => l.length < t.activePerLayer);
  if (short >= 0)
    return `layer ${short + 1} has ${doc.layers[short]?.length} of ${t.activePerLayer} mixes (epoch ${doc.epoch})`;
  if (doc.gateways.length < t.activeGateways)
    return `${doc.gateways.length} of ${t.activeGateways} gateways (epoch ${doc.epoch})`;
  const missing = (t.serviceProviders ?? []).filter((id) => !doc.serviceProviders.some((s) => s.id === id));
  if (missing.length > 0) return `service provider ${missing.join(', ')} not listed yet (epoch ${doc.epoch})`;
  return undefined;
}

/** Polls the document until `accept` says yes (returns it) or `timeoutMs` passes (throws, saying why). */
export async function waitForDocument(
  dir: DirectoryRef,
  accept: (doc: TopologyDocument) => string | undefined,
  timeoutMs: number,
  pollMs = 250,
): Promise<VerifiedDocument> {
  const deadline = Date.now() + timeoutMs;
  let why = 'no epoch published yet';
  for (;;) {
    try {
      const doc = await fetchDocument(dir);
      if (doc) {
        const reason = accept(doc.document);
        if (reason === undefined) return doc;
        why = reason;
      }
    } catch (err) {
      why = (err as Error).message;
    }
    if (Date.now() > deadline) throw new DirectoryApiError(`directory not ready after ${timeoutMs} ms: ${why}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
