/**
 * The replay filter (ARCHITECTURE.md, "Configuration, keys, state"): a Bloom filter over 32-byte
 * Sphinx replay tags, sized for packet rate × key lifetime, saved to disk periodically and on close,
 * and loaded at start so a restart does not reopen replays.
 *
 * Tags come out of HKDF, so their bytes are already uniform: the k bit indices come straight from
 * them by double hashing, h1 = bytes 0..5 and h2 = bytes 8..13 (48 bits each, forced odd / non-zero),
 * index_i = (h1 + i·h2) mod m, all in Numbers that stay below 2^53.
 *
 * The snapshot's format is in replay-filter-file.ts.
 *
 * Tag journal (issue 14 #5): a snapshot every `saveIntervalMs` alone forgets, after a crash, the
 * tags of the packets forwarded since. So new tags also go to `<path>.journal-<gen>` (raw 32-byte
 * tags), appended with one write(2) per batch by `flush()`, which the relay calls before any of
 * those packets leaves: the page cache keeps the bytes through a process crash, and an fsync every
 * `journalSyncMs` bounds what a power loss can take. A save starts a new journal generation, writes
 * the snapshot, then deletes the older journals; a start loads the snapshot and every journal left.
 */
import { closeSync, fsync, mkdirSync, openSync, writeSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  journalPath,
  listJournals,
  loadFilter,
  MAX_FILTER_BYTES,
  removeJournals,
  writeFilter,
} from './replay-filter-file.js';

export { MAX_FILTER_BYTES } from './replay-filter-file.js';

export interface ReplayFilterOptions {
  /** packets per second the node expects */
  packetRate: number;
  /** seconds a Sphinx key lives (the filter covers this window) */
  keyLifetimeSec: number;
  /** default 1e-5 */
  falsePositiveRate?: number;
  /** where it is saved; omit for memory only */
  path?: string;
  /** snapshot interval, default 60_000 */
  saveIntervalMs?: number;
  /** fsync interval of the tag journal (power-loss window), default 1_000 */
  journalSyncMs?: number;
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
  /** tags recorded but not yet in the journal */
  readonly pending: number;
  /** Appends the pending tags to the journal with one write(2) (no-op in memory). Throws on I/O errors. */
  flush(): void;
  save(): Promise<void>;
  /** stops the periodic save and saves once more */
  close(): Promise<void>;
  /** stops the timers and deletes the filter's files (its key is gone) */
  destroy(): Promise<void>;
}

export const REPLAY_TAG_SIZE = 32; /** m = ceil(−n ln p / ln²2), k = round(m/n · ln 2), at least 1. */
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
  if (path !== undefined) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
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

  // The journals a crash left behind: their tags go back into the bits.
  let gen = 0;
  if (path !== undefined) {
    for (const j of await listJournals(path)) {
      const bytes = await readFile(j.file);
      // A torn last record (a crash inside write(2)) is ignored: its packet was never forwarded.
      for (let off = 0; off + REPLAY_TAG_SIZE <= bytes.length; off += REPLAY_TAG_SIZE) {
        if (!probe(bytes.subarray(off, off + REPLAY_TAG_SIZE), true)) count++;
      }
      gen = Math.max(gen, j.gen + 1);
    }
  }
  const report = (e: Error, what: string) => {
    if (opts.onSaveError) opts.onSaveError(e);
    else process.emitWarning(`replay filter: ${what} failed: ${e.message}`);
  };

  // The journal: tags wait in `pend` until flush() appends them in one write(2).
  let fd = path === undefined ? undefined : openSync(journalPath(path, gen), 'a', 0o600);
  let journalBytes = 0; // written to the current generation
  let unsynced = false;
  let syncing: Promise<void> = Promise.resolve();
  let pend = new Uint8Array(REPLAY_TAG_SIZE * 256);
  let pendLen = 0;

  const flush = () => {
    if (fd === undefined || pendLen === 0) return;
    let done = 0;
    while (done < pendLen) done += writeSync(fd, pend, done, pendLen - done);
    journalBytes += pendLen;
    pendLen = 0;
    unsynced = true;
  };
  const append = (tag: Uint8Array) => {
    if (pendLen === pend.length) {
      if (pend.length < MAX_PENDING) {
        const bigger = new Uint8Array(pend.length * 2);
        bigger.set(pend);
        pend = bigger;
      } else {
        try {
          flush();
        } catch (err) {
          report(err as Error, 'writing the tag journal');
          pendLen = 0; // the snapshot will still carry these tags
        }
      }
    }
    pend.set(tag, pendLen);
    pendLen += REPLAY_TAG_SIZE;
  };
  const syncJournal = () => {
    const f = fd;
    if (f === undefined || !unsynced) return syncing;
    unsynced = false;
    syncing = syncing.then(
      () =>
        new Promise<void>((resolve) =>
          fsync(f, (err) => {
            if (err) report(err, 'syncing the tag journal');
            resolve();
          }),
        ),
    );
    return syncing;
  };
  // Closes a journal's descriptor once an fsync on it is done.
  const closeFd = (f: number | undefined) => {
    if (f === undefined) return Promise.resolve();
    return syncing.then(() => closeSync(f));
  };

  const save = (): Promise<void> => {
    if (path === undefined) return Promise.resolve();
    // Saves run one after another: they share the temporary file.
    const run = chain.then(async () => {
      if (count === savedCount) return;
      // Everything journaled so far is in the bits now: a new generation takes what comes next.
      flush();
      const older = fd;
      gen++;
      fd = openSync(journalPath(path, gen), 'a', 0o600);
      journalBytes = 0;
      await closeFd(older);
      const snapshotCount = count;
      await writeFilter(path, m, k, snapshotCount, array);
      savedCount = snapshotCount;
      await removeJournals(path, gen);
    });
    chain = run.catch(() => {});
    return run;
  };

  const timers =
    path === undefined
      ? []
      : [
          setInterval(() => {
            save().catch((err: unknown) =>
              report(err instanceof Error ? err : new Error(String(err)), 'periodic save'),
            );
          }, opts.saveIntervalMs ?? 60_000),
          setInterval(() => void syncJournal(), opts.journalSyncMs ?? 1_000),
        ];
  for (const t of timers) t.unref(); // a pending save must not keep a stopped process alive
  const stopTimers = () => {
    for (const t of timers) clearInterval(t);
  };

  return {
    checkAndAdd(tag) {
      const seen = probe(tag, true);
      if (!seen) {
        count++;
        if (fd !== undefined) append(tag);
      }
      return seen;
    },
    has: (tag) => probe(tag, false),
    get count() {
      return count;
    },
    get pending() {
      return pendLen / REPLAY_TAG_SIZE;
    },
    bits: m,
    hashes: k,
    bytes: array.length,
    sizedFromFile,
    flush,
    save,
    async close() {
      stopTimers();
      if (closed) return chain;
      closed = true;
      await save();
      const last = fd;
      fd = undefined;
      await closeFd(last);
      // Nothing came after the final snapshot: its journal is empty.
      if (path !== undefined && journalBytes === 0) await rm(journalPath(path, gen), { force: true });
    },
    async destroy() {
      stopTimers();
      closed = true;
      await chain;
      const last = fd;
      fd = undefined;
      pendLen = 0;
      await closeFd(last);
      if (path === undefined) return;
      await removeJournals(path, Number.POSITIVE_INFINITY);
      await rm(path, { force: true });
      await rm(`${path}.tmp`, { force: true });
    },
  };
}

/** Pending tags are written at the latest when they fill this many bytes. */
const MAX_PENDING = 1024 * 1024;

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
