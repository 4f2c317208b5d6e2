/**
 * The addresses that authenticated at this gateway (issue 14 #4): only they get a mailbox, so a
 * flood of final-hop packets to made-up destinations stores nothing. Each entry is forgotten
 * `ttlMs` after the client was last seen. Kept in the gateway's dataDir, written atomically
 * (temporary file, fsync, rename) a moment after a change and at close, so a restart keeps it.
 *
 * File: "MXREG1\n\0" then per entry the 32-byte address and its last-seen time (f64 BE, ms).
 */
import { open, readFile, rename, rm } from 'node:fs/promises';

export interface RegistryOptions {
  file: string;
  ttlMs: number;
  maxAddresses: number;
  /** wall clock in ms (default Date.now) */
  now?: () => number;
  /** how long after a change the file is written (default 1 s) */
  saveDelayMs?: number;
  onSaveError?: (err: Error) => void;
}

export interface Registry {
  /** Whether `address` (64 hex digits) authenticated here within ttlMs. */
  has(address: string): boolean;
  /** Records that `address` was seen now; false (not recorded) when the registry is full. */
  touch(address: string): boolean;
  readonly size: number;
  /** writes the file now if anything changed */
  save(): Promise<void>;
  close(): Promise<void>;
}

const MAGIC = new TextEncoder().encode('MXREG1\n\0');
const ENTRY = 40;
const HEX = /^[0-9a-f]{64}$/;

export async function openRegistry(opts: RegistryOptions): Promise<Registry> {
  const now = opts.now ?? Date.now;
  const saveDelayMs = opts.saveDelayMs ?? 1_000;
  const seen = new Map<string, number>();
  await load();
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let saving: Promise<void> = Promise.resolve();
  let closed = false;

  async function load(): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = await readFile(opts.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (bytes.length < MAGIC.length || !MAGIC.every((b, i) => bytes[i] === b) || (bytes.length - 8) % ENTRY !== 0) {
      throw new Error(`${opts.file}: not a registry file`);
    }
    const cutoff = now() - opts.ttlMs;
    for (let off = MAGIC.length; off < bytes.length; off += ENTRY) {
      const at = bytes.readDoubleBE(off + 32);
      if (at > cutoff) seen.set(bytes.toString('hex', off, off + 32), at);
    }
  }

  /** The map is in last-seen order (touch re-inserts), so the expired ones are a prefix. */
  const prune = () => {
    const cutoff = now() - opts.ttlMs;
    for (const [address, at] of seen) {
      if (at > cutoff) break;
      seen.delete(address);
    }
  };

  const write = async () => {
    dirty = false;
    prune();
    const out = Buffer.alloc(MAGIC.length + seen.size * ENTRY);
    out.set(MAGIC, 0);
    let off = MAGIC.length;
    for (const [address, at] of seen) {
      out.write(address, off, 'hex');
      out.writeDoubleBE(at, off + 32);
      off += ENTRY;
    }
    const tmp = `${opts.file}.tmp`;
    try {
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(out);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, opts.file);
    } catch (err) {
      dirty = true;
      await rm(tmp, { force: true }).catch(() => {});
      opts.onSaveError?.(err as Error);
    }
  };

  const save = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!dirty) return saving;
    saving = saving.then(write);
    return saving;
  };

  const changed = () => {
    dirty = true;
    if (timer !== undefined || closed) return;
    timer = setTimeout(() => void save(), saveDelayMs);
    timer.unref();
  };

  return {
    has(address) {
      const at = seen.get(address);
      return at !== undefined && at > now() - opts.ttlMs;
    },
    touch(address) {
      if (!HEX.test(address)) throw new RangeError('registry: an address is 64 lowercase hex digits');
      if (!seen.has(address) && seen.size >= opts.maxAddresses) {
        prune();
        if (seen.size >= opts.maxAddresses) return false;
      }
      seen.delete(address);
      seen.set(address, now());
      changed();
      return true;
    },
    get size() {
      return seen.size;
    },
    save,
    async close() {
      closed = true;
      await save();
    },
  };
}
