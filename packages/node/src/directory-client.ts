/**
 * The two HTTP calls a node makes to the directory (docs/directory.md §2, §5): GET /v1/topology with
 * If-None-Match, and POST /v1/descriptors. Bodies are read up to a cap, so a hostile or broken
 * server cannot fill the node's memory; every call has a timeout. Network errors, timeouts and 5xx
 * answers throw DirectoryUnreachable; everything else is a result the caller counts.
 */
import { type CappedBody, MAX_DOCUMENT_SIZE, readBodyCapped, type SignedDescriptor } from '@mixnet/sphinx/wire';

export class DirectoryUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DirectoryUnreachable';
  }
}

export type TopologyFetch =
  | { kind: 'document'; body: unknown; etag: string | undefined }
  | { kind: 'not-modified' }
  /** 404 NO_EPOCH: the directory has not published its first epoch yet */
  | { kind: 'no-epoch' }
  | { kind: 'oversize'; bytes: number }
  | { kind: 'malformed'; message: string };

export type AnnounceResult =
  | { ok: true; epoch: number | undefined }
  | { ok: false; status: number; code: string; message: string };

export interface DirectoryCallOptions {
  /** default 5_000 */
  timeoutMs?: number;
}

/**
 * The document text travels JSON-escaped inside {"document", "signature"}: escaping can at most
 * double it (a quote or backslash becomes two bytes; control characters are refused by the schema
 * anyway), plus the signature and the envelope.
 */
export const MAX_TOPOLOGY_RESPONSE = 2 * MAX_DOCUMENT_SIZE + 1024;
const MAX_ANNOUNCE_RESPONSE = 64 * 1024;

const endpoint = (base: string, path: string) => `${base.replace(/\/+$/, '')}${path}`;

async function call(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new DirectoryUnreachable(`${url}: ${cause ?? (err as Error).message}`);
  }
}

/** The body, capped; a failed read is the directory being unreachable. */
const readCapped = (res: Response, max: number): Promise<CappedBody> =>
  readBodyCapped(res, max).catch((err: Error) => {
    throw new DirectoryUnreachable(`reading the answer failed: ${err.message}`);
  });

const parseJson = (bytes: Uint8Array): unknown => JSON.parse(Buffer.from(bytes).toString('utf8'));

export async function fetchTopology(
  base: string,
  etag: string | undefined,
  opts: DirectoryCallOptions = {},
): Promise<TopologyFetch> {
  const url = endpoint(base, '/v1/topology');
  const res = await call(url, { headers: etag ? { 'if-none-match': etag } : {} }, opts.timeoutMs ?? 5_000);
  if (res.status === 304) return { kind: 'not-modified' };
  if (res.status >= 500) {
    await res.body?.cancel();
    throw new DirectoryUnreachable(`${url}: HTTP ${res.status}`);
  }
  const body = await readCapped(res, MAX_TOPOLOGY_RESPONSE);
  if ('over' in body) return { kind: 'oversize', bytes: body.over };
  let json: unknown;
  try {
    json = parseJson(body.bytes);
  } catch {
    return { kind: 'malformed', message: `HTTP ${res.status}: the answer is not JSON` };
  }
  if (res.status === 404 && errorCode(json) === 'NO_EPOCH') return { kind: 'no-epoch' };
  if (res.status !== 200) return { kind: 'malformed', message: `HTTP ${res.status}: ${errorText(json)}` };
  return { kind: 'document', body: json, etag: res.headers.get('etag') ?? undefined };
}

export async function postDescriptor(
  base: string,
  signed: SignedDescriptor,
  opts: DirectoryCallOptions = {},
): Promise<AnnounceResult> {
  const url = endpoint(base, '/v1/descriptors');
  const res = await call(
    url,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signed) },
    opts.timeoutMs ?? 5_000,
  );
  if (res.status >= 500) {
    await res.body?.cancel();
    throw new DirectoryUnreachable(`${url}: HTTP ${res.status}`);
  }
  const body = await readCapped(res, MAX_ANNOUNCE_RESPONSE);
  let json: unknown;
  try {
    json = 'bytes' in body ? parseJson(body.bytes) : undefined;
  } catch {
    json = undefined;
  }
  if (res.status >= 200 && res.status < 300) {
    const epoch = (json as { epoch?: unknown } | undefined)?.epoch;
    return { ok: true, epoch: typeof epoch === 'number' ? epoch : undefined };
  }
  return { ok: false, status: res.status, code: errorCode(json) ?? `HTTP_${res.status}`, message: errorText(json) };
}

export type TopologyFetcher = (
  base: string,
  etag: string | undefined,
  opts?: DirectoryCallOptions,
) => Promise<TopologyFetch>;

export interface SharedTopologyFetchOptions {
  /** An answer serves callers asking within this long of its request (default 1_000). */
  reuseMs?: number;
  now?: () => number;
  /** The real call (tests). */
  fetch?: TopologyFetcher;
}

/**
 * For a node host: its nodes poll the same directory with the same ETag, each on its own jittered
 * timer. One request serves every poll of the same (directory, ETag) made within `reuseMs` of it, so
 * 34 nodes make a few requests instead of 34. Each node still checks the answer itself (signature,
 * pinned key, epoch order); an answer is at most `reuseMs` older than the poll, less than the polls'
 * own jitter, and a node that got the old document while the next is late polls again soon.
 */
export function createSharedTopologyFetch(opts: SharedTopologyFetchOptions = {}): TopologyFetcher {
  const reuseMs = opts.reuseMs ?? 1_000;
  const now = opts.now ?? Date.now;
  const call = opts.fetch ?? fetchTopology;
  const recent = new Map<string, { at: number; answer: Promise<TopologyFetch> }>();
  return (base, etag, callOpts) => {
    const t = now();
    const key = `${base}\n${etag ?? ''}`;
    const hit = recent.get(key);
    if (hit && t - hit.at < reuseMs) return hit.answer;
    for (const [k, v] of recent) if (t - v.at >= reuseMs) recent.delete(k);
    const answer = call(base, etag, callOpts);
    recent.set(key, { at: t, answer });
    return answer;
  };
}

function errorCode(json: unknown): string | undefined {
  const code = (json as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : undefined;
}

function errorText(json: unknown): string {
  const message = (json as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' ? message.slice(0, 300) : 'no error message';
}
