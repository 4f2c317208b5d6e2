/**
 * The replay filter (ARCHITECTURE.md, "Configuration, keys, state"): a Bloom filter over 32-byte
 * Sphinx replay tags, sized for packet rate × key lifetime, saved to disk periodically and on close,
 * and loaded at start so a restart does not reopen replays.
 *
 * Tags come out of HKDF, so their bytes are already uniform: the k bit indices come straight from
 * them by double hashing, h1 = bytes 0..5 and h2 = bytes 8..13 (48 bits each, forced odd / non-zero),
 * index_i = (h1 + i·h2) mod m, all in Numbers that stay below 2^53.
 *
 * File (all integers big-endian): "MXRF" | version u16 | reserved u16 | hashes u32 | bits u64 |
 * count u64 | the bit array, ceil(bits / 8) bytes, bit i at byte i >> 3, mask 1 << (i & 7).
 */
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface ReplayFilterOptions {
  /** packets per second the node expects */
  packetRate: number;
  /** seconds a Sphinx key lives (the filter covers this window) */
  keyLifetimeSec: number;
  /** default 1e-5 */
  falsePositiveRate?: number;
  /** where it is saved; omit for memory only */
  path?: string;
  /** default 60_000 */
  saveIntervalMs?: number;
  /** a periodic save failed (default: a process warning); the filter keeps working in memory */
  onSaveError?: (err: Error) => void;
}

export interface ReplayFilter {
  /** true if the tag was (probably) seen before; otherwise records it and returns false */
  checkAndAdd(tag: Uint8Array): boolean;
  has(tag: Uint8Array): boolean;
  /** tags recorded (checkAndAdd calls that returned false) */
  readonly count: number;
  readonly bits: number;
  readonly hashes: number;
  readonly bytes: number;
  /** true when a saved filter of another size was kept over what the options ask for */
  readonly sizedFromFile: boolean;
  save(): Promise<void>;
  /** stops the periodic save and saves once more */
  close(): Promise<void>;
}

export const REPLAY_TAG_SIZE = 32;
const MAGIC = [0x4d, 0x58, 0x52, 0x46]; // "MXRF"
const FORMAT_VERSION = 1;
const HEADER_SIZE = 28;
/** The bit array may take at most 2 GiB of memory (and disk). */
export const MAX_FILTER_BYTES = 2 ** 31;
const MAX_HASHES = 64;
/** Reads and writes go in slices this big (a single fs call tops out just below 2 GiB). */
const IO_CHUNK = 64 * 1024 * 1024;

/** m = ceil(−n ln p / ln²2), k = round(m/n · ln 2), at least 1. */
export function replayFilterSize(expectedItems: number, falsePositiveRate: number): { bits: number; hashes: number } {
  if (!(Number.isFinite(expectedItems) && expectedItems > 0)) {
    throw new RangeError(`replay filter: expected items must be a positive number, got ${expectedItems}`);
  }
  if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) {
    throw new RangeError(`replay filter: false-positive rate must be in (0, 1), got ${falsePositiveRate}`);
  }
  const bits = Math.ceil((-expectedItems * Math.log(falsePositiveRate)) / Math.LN2 ** 2);
  const hashes = Math.max(1, Math.round((bits / expectedItems) * Math.LN2));
  return { bits, hashes };
}

export async function openReplayFilter(opts: ReplayFilterOptions): Promise<ReplayFilter> {
  const fpr = opts.falsePositiveRate ?? 1e-5;
  const wanted = replayFilterSize(Math.ceil(opts.packetRate * opts.keyLifetimeSec), fpr);
  const wantedBytes = Math.ceil(wanted.bits / 8);
  if (wantedBytes > MAX_FILTER_BYTES) {
    throw new RangeError(
      `replay filter: ${opts.packetRate} packets/s × ${opts.keyLifetimeSec} s at false-positive rate ${fpr} needs ` +
        `${(wantedBytes / 2 ** 30).toFixed(2)} GiB of bits, over the 2 GiB cap: rotate keys more often or accept a higher rate`,
    );
  }
  const path = opts.path;
  const loaded = path === undefined ? undefined : await loadFilter(path);
  const m = loaded?.bits ?? wanted.bits;
  const k = loaded?.hashes ?? wanted.hashes;
  const array = loaded?.array ?? new Uint8Array(Math.ceil(m / 8));
  let count = loaded?.count ?? 0;
  // Dropping a saved filter because the config changed would reopen every replay it remembers.
  const sizedFromFile = loaded !== undefined && (loaded.bits !== wanted.bits || loaded.hashes !== wanted.hashes);

  let savedCount = loaded === undefined ? -1 : count;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  // Visits the k bit indices of a tag: true if all were set; with `set`, sets them as it goes.
  function probe(tag: Uint8Array, set: boolean): boolean {
    if (tag.length !== REPLAY_TAG_SIZE) {
      throw new RangeError(`replay filter: tag must be ${REPLAY_TAG_SIZE} bytes, got ${tag.length}`);
    }
    let idx = read48(tag, 0) % m;
    let step = read48(tag, 8) % m || 1;
    if (step % 2 === 0 && m % 2 === 0) step = (step + 1) % m; // odd stride: no short cycle when m is even
    let all = true;
    for (let i = 0; i < k; i++) {
      const byte = Math.floor(idx / 8); // not idx >>> 3: m may pass 2^32
      const mask = 1 << (idx % 8);
      const cur = array[byte] as number;
      if ((cur & mask) === 0) {
        all = false;
        if (!set) return false;
        array[byte] = cur | mask;
      }
      idx += step;
      if (idx >= m) idx -= m;
    }
    return all;
  }

  const save = (): Promise<void> => {
    if (path === undefined) return Promise.resolve();
    // Saves run one after another: they share the temporary file.
    const run = chain.then(async () => {
      if (count === savedCount) return;
      const snapshotCount = count;
      await writeFilter(path, m, k, snapshotCount, array);
      savedCount = snapshotCount;
    });
    chain = run.catch(() => {});
    return run;
  };

  const interval =
    path === undefined
      ? undefined
      : setInterval(() => {
          save().catch((err: unknown) => {
            const e = err instanceof Error ? err : new Error(String(err));
            if (opts.onSaveError) opts.onSaveError(e);
            else process.emitWarning(`replay filter: periodic save failed: ${e.message}`);
          });
        }, opts.saveIntervalMs ?? 60_000);
  interval?.unref(); // a pending save must not keep a stopped process alive

  return {
    checkAndAdd(tag) {
      const seen = probe(tag, true);
      if (!seen) count++;
      return seen;
    },
    has: (tag) => probe(tag, false),
    get count() {
      return count;
    },
    bits: m,
    hashes: k,
    bytes: array.length,
    sizedFromFile,
    save,
    async close() {
      if (interval !== undefined) clearInterval(interval);
      if (closed) return chain;
      closed = true;
      await save();
    },
  };
}

/** Big-endian 48-bit integer at `off` (exact as a Number). */
function read48(b: Uint8Array, off: number): number {
  const hi = (((b[off] as number) << 8) | (b[off + 1] as number)) * 2 ** 32;
  const lo =
    (((b[off + 2] as number) << 24) |
      ((b[off + 3] as number) << 16) |
      ((b[off + 4] as number) << 8) |
      (b[off + 5] as number)) >>>
    0;
  return hi + lo;
}

function header(bits: number, hashes: number, count: number): Uint8Array {
  const h = new Uint8Array(HEADER_SIZE);
  const v = new DataView(h.buffer);
  h.set(MAGIC, 0);
  v.setUint16(4, FORMAT_VERSION);
  v.setUint16(6, 0);
  v.setUint32(8, hashes);
  v.setBigUint64(12, BigInt(bits));
  v.setBigUint64(20, BigInt(count));
  return h;
}

/**
 * Writes `path.tmp` (mode 0600), fsyncs it, renames it over `path` and fsyncs the folder, so a crash
 * leaves either the old file or the new one. The bit array is written live, not copied: bits only
 * ever go from 0 to 1, so a bit set during the write is merely saved early.
 */
async function writeFilter(path: string, bits: number, hashes: number, count: number, array: Uint8Array) {
  const tmp = `${path}.tmp`;
  await rm(tmp, { force: true }); // a leftover could carry a looser mode; `open` sets it only on create
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.write(header(bits, hashes, count), 0, HEADER_SIZE, 0);
    for (let off = 0; off < array.length; off += IO_CHUNK) {
      const len = Math.min(IO_CHUNK, array.length - off);
      let done = 0;
      while (done < len) {
        const { bytesWritten } = await fh.write(array, off + done, len - done, HEADER_SIZE + off + done);
        done += bytesWritten;
      }
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  try {
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Some filesystems refuse fsync on a folder; the rename itself is still atomic.
  }
}

interface Loaded {
  bits: number;
  hashes: number;
  count: number;
  array: Uint8Array;
}

/** Loads a saved filter; undefined when there is no file. Anything malformed throws, naming the file. */
async function loadFilter(path: string): Promise<Loaded | undefined> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const fail = (what: string): never => {
    throw new Error(`replay filter file ${path}: ${what}; refusing to start without its replay state`);
  };
  try {
    const size = (await fh.stat()).size;
    if (size < HEADER_SIZE) fail(`truncated (${size} bytes, the header alone is ${HEADER_SIZE})`);
    const h = new Uint8Array(HEADER_SIZE);
    await readFully(fh, h, 0);
    const v = new DataView(h.buffer);
    if (!MAGIC.every((b, i) => h[i] === b)) fail('bad magic (not a replay filter file)');
    const version = v.getUint16(4);
    if (version !== FORMAT_VERSION) fail(`unsupported format version ${version} (this build reads ${FORMAT_VERSION})`);
    const hashes = v.getUint32(8);
    const bits64 = v.getBigUint64(12);
    const count64 = v.getBigUint64(20);
    if (hashes < 1 || hashes > MAX_HASHES) fail(`bad hash count ${hashes}`);
    if (bits64 < 1n || bits64 > BigInt(MAX_FILTER_BYTES) * 8n) fail(`bad bit count ${bits64}`);
    if (count64 > BigInt(Number.MAX_SAFE_INTEGER)) fail(`bad item count ${count64}`);
    const bits = Number(bits64);
    const expected = HEADER_SIZE + Math.ceil(bits / 8);
    if (size !== expected) {
      fail(`${size < expected ? 'truncated' : 'too long'}: ${size} bytes, expected ${expected} for ${bits} bits`);
    }
    const array = new Uint8Array(Math.ceil(bits / 8));
    await readFully(fh, array, HEADER_SIZE);
    return { bits, hashes, count: Number(count64), array };
  } finally {
    await fh.close();
  }
}

async function readFully(fh: Awaited<ReturnType<typeof open>>, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const len = Math.min(IO_CHUNK, into.length - done);
    const { bytesRead } = await fh.read(into, done, len, position + done);
    if (bytesRead === 0) throw new Error(`replay filter file: unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}
