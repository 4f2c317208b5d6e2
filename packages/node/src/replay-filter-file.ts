/**
 * The replay filter's files (replay-filter.ts): the snapshot and the tag journals.
 *
 * Snapshot (all integers big-endian): "MXRF" | version u16 | reserved u16 | hashes u32 | bits u64 |
 * count u64 | the bit array, ceil(bits / 8) bytes, bit i at byte i >> 3, mask 1 << (i & 7).
 * Journal `<path>.journal-<gen>`: raw 32-byte tags, appended.
 */
import { open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const MAGIC = [0x4d, 0x58, 0x52, 0x46]; // "MXRF"
const FORMAT_VERSION = 1;
const HEADER_SIZE = 28;
/** The bit array may take at most 2 GiB of memory (and disk). */
export const MAX_FILTER_BYTES = 2 ** 31;
const MAX_HASHES = 64;
/** Reads and writes go in slices this big (a single fs call tops out just below 2 GiB). */
const IO_CHUNK = 64 * 1024 * 1024;

export function journalPath(path: string, gen: number): string {
  return `${path}.journal-${gen}`;
}

export async function listJournals(path: string): Promise<{ gen: number; file: string }[]> {
  const prefix = `${basename(path)}.journal-`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => ({ gen: Number(n.slice(prefix.length)), file: join(dirname(path), n) }));
}

/** Deletes the journals of generations below `gen` (their tags are in the snapshot). */
export async function removeJournals(path: string, gen: number): Promise<void> {
  for (const j of await listJournals(path)) if (j.gen < gen) await rm(j.file, { force: true });
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
export async function writeFilter(path: string, bits: number, hashes: number, count: number, array: Uint8Array) {
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

export interface LoadedFilter {
  bits: number;
  hashes: number;
  count: number;
  array: Uint8Array;
}

/** Loads a saved filter; undefined when there is no file. Anything malformed throws, naming the file. */
export async function loadFilter(path: string): Promise<LoadedFilter | undefined> {
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
