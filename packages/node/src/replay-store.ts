/**
 * One replay filter per Sphinx key (issue 14 #3; docs/directory.md §6). A filter that lives as long
 * as its key never saturates the way one filter for every key did: it is sized for packetRate ×
 * keyLifetimeSec (set that to at least the rotation period plus the grace period, in seconds) and
 * deleted, files and all, when its key is dropped. A replayed packet for a dropped key cannot be
 * processed any more, so nothing is lost by forgetting its tags.
 *
 * Files: static key (no directory) `<dataDir>/replay-filter.bin`, the path used before key rotation,
 * so an upgraded node keeps its replay state; rotating keys `<dataDir>/replay/<rotation>-<key id>.bin`
 * (key id: the public key's first 8 bytes, hex), so a filter can never be paired with another key.
 */
import { mkdirSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openReplayFilter, type ReplayFilter } from './replay-filter.js';
import type { SphinxKey } from './sphinx-keys.js';

export interface ReplayStoreOptions {
  dataDir: string;
  layout: 'static' | 'rotating';
  packetRate: number;
  keyLifetimeSec: number;
  falsePositiveRate?: number;
  saveIntervalMs?: number;
  journalSyncMs?: number;
  /** a save or journal write failed; the filter keeps working in memory */
  onError?: (err: Error) => void;
  /** a filter holds more tags than it was sized for: its false-positive rate climbs past the target */
  onSaturated?: (rotation: number, count: number, capacity: number) => void;
}

export interface ReplayFilterStats {
  rotation: number;
  count: number;
  capacity: number;
  bits: number;
}

export interface ReplayStore {
  /** Opens a filter for every key that has none (before the key is given to the packet processor). */
  open(keys: readonly SphinxKey[]): Promise<void>;
  /** Closes and deletes the filters of keys not listed, and any filter files a crash left behind. */
  retain(keys: readonly SphinxKey[]): Promise<void>;
  /** true: a replay; false: recorded; undefined: no filter for that rotation (its key is gone). */
  checkAndAdd(rotation: number, tag: Uint8Array): boolean | undefined;
  /** Journals every pending tag: call before any packet whose tag was just recorded leaves. */
  flush(): void;
  stats(): ReplayFilterStats[];
  /** Saves and closes every filter. */
  close(): Promise<void>;
}

interface Entry {
  rotation: number;
  keyId: string;
  filter: ReplayFilter;
  saturated: boolean;
}

const keyIdOf = (k: SphinxKey) => Buffer.from(k.publicKey.subarray(0, 8)).toString('hex');

export function createReplayStore(opts: ReplayStoreOptions): ReplayStore {
  const capacity = Math.ceil(opts.packetRate * opts.keyLifetimeSec);
  const folder = opts.layout === 'static' ? opts.dataDir : join(opts.dataDir, 'replay');
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const fileOf = (rotation: number, keyId: string) =>
    opts.layout === 'static' ? join(folder, 'replay-filter.bin') : join(folder, `${rotation}-${keyId}.bin`);
  const entries = new Map<number, Entry>();
  // The last filter used: nearly every packet is for the current key.
  let last: Entry | undefined;
  let queue: Promise<void> = Promise.resolve();
  const serial = (fn: () => Promise<void>) => {
    const run = queue.then(fn);
    queue = run.catch(() => {});
    return run;
  };
  const remove = async (e: Entry) => {
    entries.delete(e.rotation);
    if (last === e) last = undefined;
    await e.filter.destroy();
  };

  return {
    open: (keys) =>
      serial(async () => {
        if (opts.layout === 'static' && keys.length !== 1)
          throw new RangeError(`replay store: a static key ring has one key, got ${keys.length}`);
        for (const key of keys) {
          const keyId = keyIdOf(key);
          const had = entries.get(key.rotation);
          if (had?.keyId === keyId) continue;
          if (had) await remove(had); // the rotation got a new key: its old tags mean nothing
          const filter = await openReplayFilter({
            packetRate: opts.packetRate,
            keyLifetimeSec: opts.keyLifetimeSec,
            ...(opts.falsePositiveRate !== undefined ? { falsePositiveRate: opts.falsePositiveRate } : {}),
            ...(opts.saveIntervalMs !== undefined ? { saveIntervalMs: opts.saveIntervalMs } : {}),
            ...(opts.journalSyncMs !== undefined ? { journalSyncMs: opts.journalSyncMs } : {}),
            ...(opts.onError ? { onSaveError: opts.onError } : {}),
            path: fileOf(key.rotation, keyId),
          });
          entries.set(key.rotation, { rotation: key.rotation, keyId, filter, saturated: filter.count > capacity });
        }
      }),
    retain: (keys) =>
      serial(async () => {
        const keep = new Map(keys.map((k) => [k.rotation, keyIdOf(k)]));
        for (const e of [...entries.values()]) if (keep.get(e.rotation) !== e.keyId) await remove(e);
        if (opts.layout === 'static') return;
        const held = [...entries.values()].map((e) => `${e.rotation}-${e.keyId}.bin`);
        for (const name of await readdir(folder)) {
          if (!held.some((h) => name === h || name.startsWith(`${h}.`))) await rm(join(folder, name), { force: true });
        }
      }),
    checkAndAdd(rotation, tag) {
      let e = last;
      if (e === undefined || e.rotation !== rotation) {
        e = entries.get(rotation);
        if (e === undefined) return undefined;
        last = e;
      }
      return e.filter.checkAndAdd(tag);
    },
    flush() {
      for (const e of entries.values()) {
        e.filter.flush();
        if (!e.saturated && e.filter.count > capacity) {
          e.saturated = true;
          opts.onSaturated?.(e.rotation, e.filter.count, capacity);
        }
      }
    },
    stats: () =>
      [...entries.values()].map((e) => ({
        rotation: e.rotation,
        count: e.filter.count,
        capacity,
        bits: e.filter.bits,
      })),
    close: () =>
      serial(async () => {
        for (const e of entries.values()) await e.filter.close();
        entries.clear();
        last = undefined;
      }),
  };
}
