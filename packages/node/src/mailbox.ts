/**
 * The gateway's on-disk mailbox (ARCHITECTURE.md, "Wire between processes": a bounded mailbox for a
 * client that is away). One folder per client (hex of its 32-byte address, mode 0700), one file per
 * message named by a zero-padded sequence number (mode 0600). A message is written to a temporary
 * name, fsynced and renamed, and the folder fsynced, before put() says true; it is deleted only after
 * deliver() resolved. So a crash never eats a stored message: at worst one is delivered twice.
 *
 * Per client, puts run one after another on one promise chain and drains on another. The two may
 * overlap safely: a put only adds a file past the last one, a drain only removes the first ones, and
 * a drain keeps going through messages put while it runs. (One shared chain would deadlock a deliver
 * that awaits a put for the same client.)
 *
 * Global caps (issue 14 #4) bound the number of mailboxes, messages and bytes over all clients; a put
 * reserves its share before writing, so concurrent puts for different clients cannot overshoot.
 * Messages older than maxAgeMs are deleted (a sweep, and drains skip them); a message's age survives
 * a restart through its file's mtime.
 */
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface MailboxOptions {
  dir: string;
  maxMessagesPerClient: number;
  maxBytesPerClient: number;
  /** Clients with messages waiting, at most (default unbounded). */
  maxMailboxes?: number;
  /** Messages and bytes over all clients, at most (default unbounded). */
  maxTotalMessages?: number;
  maxTotalBytes?: number;
  /** Stored messages older than this are deleted (default: kept until delivered). */
  maxAgeMs?: number;
  /** wall clock in ms (default Date.now), compared with file mtimes */
  now?: () => number;
  /** told how many messages were deleted for their age (by the sweep or a drain) */
  onExpired?: (count: number) => void;
}

/** Why a put stored nothing: the client's own limits, the global ones, or the mailbox count. */
export type MailboxRefusal = 'client_full' | 'total_full' | 'too_many_mailboxes';

export interface Mailbox {
  /** stores a message for the client (32-byte address); true, or why nothing was stored; rejects on an I/O error */
  put(client: Uint8Array, message: Uint8Array): Promise<true | MailboxRefusal>;
  /** how many are stored */
  count(client: Uint8Array): number;
  bytes(client: Uint8Array): number;
  /**
   * calls deliver for each stored message, oldest first, deleting each only after deliver resolves;
   * stops at the first deliver that throws or rejects (that one and later ones stay) and returns how
   * many were delivered
   */
  drain(client: Uint8Array, deliver: (message: Uint8Array) => Promise<void> | void): Promise<number>;
  readonly totalMessages: number;
  readonly totalBytes: number;
  /** clients with messages stored (or being stored) */
  readonly mailboxes: number;
  /** deletes messages older than maxAgeMs now (also done by a timer); resolves with how many */
  expire(): Promise<number>;
  /** waits for running puts and drains; later calls reject */
  close(): Promise<void>;
}

export const CLIENT_ADDRESS_SIZE = 32;
const SEQ_DIGITS = 16;
const SEQ_NAME = /^\d{16}$/;
const CLIENT_NAME = /^[0-9a-f]{64}$/;
const TMP_SUFFIX = '.tmp';

interface ClientBox {
  folder: string;
  /** sequence numbers stored, oldest first, with their sizes and when they were stored (ms) */
  seqs: number[];
  sizes: number[];
  times: number[];
  bytes: number;
  /** puts that reserved their share and are still writing */
  reserved: number;
  /** counted in `mailboxes` (has messages or reserved puts) */
  counted: boolean;
  nextSeq: number;
  /** tails of the client's two chains, and how many operations are queued or running on them */
  putChain: Promise<unknown>;
  drainChain: Promise<unknown>;
  busy: number;
}

export async function openMailbox(opts: MailboxOptions): Promise<Mailbox> {
  const { dir, maxMessagesPerClient, maxBytesPerClient } = opts;
  const maxMailboxes = opts.maxMailboxes ?? Number.POSITIVE_INFINITY;
  const maxTotalMessages = opts.maxTotalMessages ?? Number.POSITIVE_INFINITY;
  const maxTotalBytes = opts.maxTotalBytes ?? Number.POSITIVE_INFINITY;
  const maxAgeMs = opts.maxAgeMs ?? Number.POSITIVE_INFINITY;
  const now = opts.now ?? Date.now;
  const limits = [maxMessagesPerClient, maxBytesPerClient, maxMailboxes, maxTotalMessages, maxTotalBytes, maxAgeMs];
  if (!limits.every((l) => l >= 0)) {
    throw new RangeError('mailbox: limits must be non-negative numbers');
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const boxes = new Map<string, ClientBox>();
  let total = 0;
  let totalBytes = 0;
  let mailboxes = 0;
  let closed = false;

  /** Keeps `mailboxes` in step with which boxes hold (or are writing) messages. */
  const recount = (box: ClientBox) => {
    const counts = box.seqs.length + box.reserved > 0;
    if (counts === box.counted) return;
    box.counted = counts;
    mailboxes += counts ? 1 : -1;
  };

  const newBox = (hex: string): ClientBox => ({
    folder: join(dir, hex),
    seqs: [],
    sizes: [],
    times: [],
    bytes: 0,
    reserved: 0,
    counted: false,
    nextSeq: 0,
    putChain: Promise.resolve(),
    drainChain: Promise.resolve(),
    busy: 0,
  });

  // Scan what a previous run left: messages come back, half-written temporaries go.
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !CLIENT_NAME.test(entry.name)) continue;
    const box = newBox(entry.name);
    const found: { seq: number; size: number; time: number }[] = [];
    for (const name of await readdir(box.folder)) {
      if (name.endsWith(TMP_SUFFIX)) {
        // Never acknowledged: its put() had not returned true.
        await rm(join(box.folder, name), { force: true });
      } else if (SEQ_NAME.test(name)) {
        const st = await stat(join(box.folder, name));
        found.push({ seq: Number(name), size: st.size, time: st.mtimeMs });
      }
    }
    if (found.length === 0) {
      await rmdir(box.folder).catch(() => {}); // empty, or holds files that are not ours: leave it
      continue;
    }
    found.sort((a, b) => a.seq - b.seq);
    for (const f of found) {
      box.seqs.push(f.seq);
      box.sizes.push(f.size);
      box.times.push(f.time);
      box.bytes += f.size;
      totalBytes += f.size;
    }
    box.nextSeq = (found[found.length - 1]?.seq ?? -1) + 1;
    total += found.length;
    recount(box);
    boxes.set(entry.name, box);
  }

  function clientHex(client: Uint8Array): string {
    if (!(client instanceof Uint8Array) || client.length !== CLIENT_ADDRESS_SIZE) {
      throw new RangeError(`mailbox: a client address is ${CLIENT_ADDRESS_SIZE} bytes, got ${client?.length}`);
    }
    return Buffer.from(client.buffer, client.byteOffset, client.length).toString('hex');
  }

  /** Runs `op` on one of the client's chains, and forgets an empty, idle client afterwards. */
  function run<R>(hex: string, which: 'putChain' | 'drainChain', op: (box: ClientBox) => Promise<R>): Promise<R> {
    if (closed) return Promise.reject(new Error('mailbox: closed'));
    let box = boxes.get(hex);
    if (box === undefined) {
      box = newBox(hex);
      boxes.set(hex, box);
    }
    const b = box;
    b.busy++;
    const result = b[which].then(() => op(b));
    b[which] = result
      .catch(() => {})
      .finally(() => {
        b.busy--;
        if (b.busy === 0 && b.seqs.length === 0 && boxes.get(hex) === b) boxes.delete(hex);
      });
    return result;
  }

  const fileOf = (box: ClientBox, seq: number) => join(box.folder, String(seq).padStart(SEQ_DIGITS, '0'));

  /** Deletes the oldest message of a box (on its drain chain) and updates every count. */
  const removeHead = async (box: ClientBox) => {
    const seq = box.seqs[0] as number;
    await rm(fileOf(box, seq), { force: true });
    box.seqs.shift();
    box.times.shift();
    const size = box.sizes.shift() ?? 0;
    box.bytes -= size;
    totalBytes -= size;
    total--;
    recount(box);
  };
  const isExpired = (box: ClientBox) => (box.times[0] ?? Number.POSITIVE_INFINITY) < now() - maxAgeMs;

  const expire = async (): Promise<number> => {
    if (closed || !Number.isFinite(maxAgeMs)) return 0;
    let n = 0;
    const expiring: Promise<void>[] = [];
    for (const [hex, box] of boxes) {
      if (!isExpired(box)) continue;
      expiring.push(
        run(hex, 'drainChain', async (b) => {
          let k = 0;
          while (isExpired(b)) {
            await removeHead(b);
            k++;
          }
          n += k;
          if (k > 0) opts.onExpired?.(k);
        }).catch(() => {}),
      );
    }
    await Promise.all(expiring);
    return n;
  };
  /** Writes one message durably (temporary name, fsync, rename, folder fsync), then records it. */
  const write = async (box: ClientBox, message: Uint8Array) => {
    const seq = box.nextSeq++;
    const final = fileOf(box, seq);
    const tmp = final + TMP_SUFFIX;
    const created = await mkdir(box.folder, { recursive: true, mode: 0o700 });
    if (created !== undefined) await syncDir(dir);
    try {
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(message);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, final);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
    await syncDir(box.folder);
    box.seqs.push(seq);
    box.sizes.push(message.length);
    box.times.push(now());
    box.bytes += message.length;
  };

  await expire();
  const sweep = Number.isFinite(maxAgeMs)
    ? setInterval(() => void expire(), Math.max(1_000, Math.min(maxAgeMs / 10, 60_000)))
    : undefined;
  sweep?.unref();

  return {
    async put(client, message) {
      const hex = clientHex(client);
      return run(hex, 'putChain', async (box): Promise<true | MailboxRefusal> => {
        if (box.seqs.length + 1 > maxMessagesPerClient || box.bytes + message.length > maxBytesPerClient) {
          return 'client_full';
        }
        if (total + 1 > maxTotalMessages || totalBytes + message.length > maxTotalBytes) return 'total_full';
        if (!box.counted && mailboxes >= maxMailboxes) return 'too_many_mailboxes';
        // Reserve before the first await, so concurrent puts for other clients see this one.
        total++;
        totalBytes += message.length;
        box.reserved++;
        recount(box);
        try {
          await write(box, message);
        } catch (err) {
          total--;
          totalBytes -= message.length;
          throw err;
        } finally {
          box.reserved--;
          recount(box);
        }
        return true;
      });
    },

    count(client) {
      return boxes.get(clientHex(client))?.seqs.length ?? 0;
    },

    bytes(client) {
      return boxes.get(clientHex(client))?.bytes ?? 0;
    },

    async drain(client, deliver) {
      const hex = clientHex(client);
      return run(hex, 'drainChain', async (box) => {
        let delivered = 0;
        // Reads the head afresh each time, so messages put meanwhile are delivered too, in order.
        for (;;) {
          const seq = box.seqs[0];
          if (seq === undefined || closed) return delivered;
          if (isExpired(box)) {
            await removeHead(box);
            opts.onExpired?.(1);
            continue;
          }
          const message = new Uint8Array(await readFile(fileOf(box, seq)));
          try {
            await deliver(message);
          } catch {
            return delivered;
          }
          await removeHead(box);
          delivered++;
        }
      });
    },

    get totalMessages() {
      return total;
    },

    get totalBytes() {
      return totalBytes;
    },

    get mailboxes() {
      return mailboxes;
    },

    expire,

    async close() {
      closed = true;
      clearInterval(sweep);
      await Promise.all([...boxes.values()].flatMap((b) => [b.putChain, b.drainChain]));
    },
  };
}

/** Makes a rename or a new entry in `folder` durable. */
async function syncDir(folder: string): Promise<void> {
  try {
    const fh = await open(folder, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some filesystems refuse fsync on a folder; the entry is still there, just not forced out yet.
  }
}
