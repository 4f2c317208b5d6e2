/** The replay filter: sizing, no false negatives, measured false-positive rate, persistence and its errors. */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openReplayFilter, replayFilterSize } from './replay-filter.js';

const tag = () => new Uint8Array(randomBytes(32));
const tags = (n: number) => {
  const all = randomBytes(32 * n);
  return Array.from({ length: n }, (_, i) => all.subarray(32 * i, 32 * i + 32));
};

describe('replayFilterSize', () => {
  it('follows the textbook formulas', () => {
    expect(replayFilterSize(1000, 0.01)).toEqual({ bits: 9586, hashes: 7 });
    expect(replayFilterSize(1, 0.5)).toEqual({ bits: 2, hashes: 1 });
    const { bits, hashes } = replayFilterSize(1e6, 1e-5);
    expect(bits).toBe(Math.ceil((-1e6 * Math.log(1e-5)) / Math.LN2 ** 2));
    expect(hashes).toBe(17);
  });

  it('refuses nonsense', () => {
    expect(() => replayFilterSize(0, 0.01)).toThrow(RangeError);
    expect(() => replayFilterSize(100, 0)).toThrow(RangeError);
    expect(() => replayFilterSize(100, 1)).toThrow(RangeError);
    expect(() => replayFilterSize(Number.NaN, 0.01)).toThrow(RangeError);
  });
});

describe('replay filter in memory', () => {
  it('records a tag once and catches it after', async () => {
    const f = await openReplayFilter({ packetRate: 100, keyLifetimeSec: 10 });
    const t = tag();
    expect(f.has(t)).toBe(false);
    expect(f.checkAndAdd(t)).toBe(false);
    expect(f.checkAndAdd(t)).toBe(true);
    expect(f.has(t)).toBe(true);
    expect(f.count).toBe(1);
    expect(f.bytes).toBe(Math.ceil(f.bits / 8));
    expect(f.sizedFromFile).toBe(false);
    await f.save(); // memory only: nothing to do
    await f.close();
  });

  it('rejects tags that are not 32 bytes', async () => {
    const f = await openReplayFilter({ packetRate: 10, keyLifetimeSec: 10 });
    expect(() => f.checkAndAdd(new Uint8Array(31))).toThrow(RangeError);
    expect(() => f.has(new Uint8Array(33))).toThrow(RangeError);
    await f.close();
  });

  it('refuses options that need more than 2 GiB of bits', async () => {
    await expect(openReplayFilter({ packetRate: 1e6, keyLifetimeSec: 86_400 * 30 })).rejects.toThrow(/2 GiB/);
  });

  it('property: never a false negative', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 500 }),
        async (ts, rate) => {
          const f = await openReplayFilter({ packetRate: rate, keyLifetimeSec: 1, falsePositiveRate: 0.01 });
          for (const t of ts) f.checkAndAdd(t);
          for (const t of ts) {
            expect(f.has(t)).toBe(true);
            expect(f.checkAndAdd(t)).toBe(true);
          }
          expect(f.count).toBeLessThanOrEqual(ts.length);
        },
      ),
    );
  });

  it('measures a false-positive rate near the target (200k tags, target 1e-3)', async () => {
    const n = 200_000;
    const f = await openReplayFilter({ packetRate: n, keyLifetimeSec: 1, falsePositiveRate: 1e-3 });
    for (const t of tags(n)) f.checkAndAdd(t);
    let fp = 0;
    for (const t of tags(n)) if (f.has(t)) fp++;
    const rate = fp / n;
    console.log(`replay filter: ${f.bits} bits, ${f.hashes} hashes, measured false-positive rate ${rate}`);
    expect(rate).toBeLessThan(2e-3);
    expect(rate).toBeGreaterThan(2.5e-4); // not wastefully oversized either
  });
});

describe('replay filter on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'replay-filter-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the same answers after close and reopen, in a 0600 file', async () => {
    const path = join(dir, 'replay.bloom');
    const opts = { packetRate: 1000, keyLifetimeSec: 10, falsePositiveRate: 1e-3, path };
    const f = await openReplayFilter(opts);
    const seen = tags(2000);
    for (const t of seen) f.checkAndAdd(t);
    const probes = tags(20_000);
    const before = probes.map((t) => f.has(t));
    await f.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const g = await openReplayFilter(opts);
    expect(g.sizedFromFile).toBe(false);
    expect(g.count).toBe(f.count);
    expect([g.bits, g.hashes]).toEqual([f.bits, f.hashes]);
    for (const t of seen) expect(g.checkAndAdd(t)).toBe(true);
    expect(probes.map((t) => g.has(t))).toEqual(before);
    await g.close();
  });

  it('keeps a saved filter of another size over the configured one, and says so', async () => {
    const path = join(dir, 'replay.bloom');
    const f = await openReplayFilter({ packetRate: 100, keyLifetimeSec: 10, path });
    const t = tag();
    f.checkAndAdd(t);
    await f.close();
    const g = await openReplayFilter({ packetRate: 5000, keyLifetimeSec: 10, path });
    expect(g.sizedFromFile).toBe(true);
    expect([g.bits, g.hashes]).toEqual([f.bits, f.hashes]);
    expect(g.has(t)).toBe(true);
    await g.close();
  });

  it('refuses corrupted or truncated files, naming the file', async () => {
    const path = join(dir, 'replay.bloom');
    const opts = { packetRate: 100, keyLifetimeSec: 10, path };
    const f = await openReplayFilter(opts);
    f.checkAndAdd(tag());
    await f.close();
    const good = await readFile(path);

    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated body', good.subarray(0, good.length - 1), /truncated/],
      ['truncated header', good.subarray(0, 10), /truncated/],
      ['empty', new Uint8Array(0), /truncated/],
      ['too long', Buffer.concat([good, Buffer.from([0])]), /too long/],
      ['bad magic', Buffer.concat([Buffer.from('XXXX'), good.subarray(4)]), /bad magic/],
      ['bad version', Buffer.concat([good.subarray(0, 4), Buffer.from([0, 9]), good.subarray(6)]), /version 9/],
      ['zero hashes', Buffer.concat([good.subarray(0, 8), Buffer.alloc(4), good.subarray(12)]), /hash count/],
    ];
    for (const [name, bytes, why] of cases) {
      await writeFile(path, bytes);
      const err = await openReplayFilter(opts).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err, name).toBeInstanceOf(Error);
      expect(err?.message, name).toContain(path);
      expect(err?.message, name).toMatch(why);
    }
  });

  it('saves periodically, and only when something changed', async () => {
    const path = join(dir, 'replay.bloom');
    const f = await openReplayFilter({ packetRate: 100, keyLifetimeSec: 10, path, saveIntervalMs: 20 });
    const t = tag();
    f.checkAndAdd(t);
    await waitFor(async () => (await stat(path).catch(() => undefined)) !== undefined);
    const first = await stat(path);
    await new Promise((r) => setTimeout(r, 80)); // several intervals with no change: no rewrite
    expect((await stat(path)).ino).toBe(first.ino);
    const g = await openReplayFilter({ packetRate: 100, keyLifetimeSec: 10, path });
    expect(g.has(t)).toBe(true);
    expect(g.count).toBe(1);
    await g.close();
    await f.close();
  });

  it('reports a failing periodic save and keeps working', async () => {
    const errors: Error[] = [];
    const path = join(dir, 'replay.bloom');
    const f = await openReplayFilter({
      packetRate: 100,
      keyLifetimeSec: 10,
      path,
      saveIntervalMs: 10,
      onSaveError: (e) => errors.push(e),
    });
    // A folder where the save's temporary file goes: every save fails (even as root).
    await mkdir(`${path}.tmp`);
    f.checkAndAdd(tag());
    await waitFor(async () => errors.length > 0);
    expect(errors[0]?.message).toMatch(/directory/i);
    expect(f.checkAndAdd(tag())).toBe(false);
    await expect(f.close()).rejects.toThrow(/directory/i);
  });
});

describe('replay filter tag journal (issue 14 #5)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'replay-journal-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const opts = (path: string) => ({ packetRate: 1000, keyLifetimeSec: 10, falsePositiveRate: 1e-4, path });

  it('a flushed tag survives a crash (no close, no snapshot); an unflushed one is lost', async () => {
    const path = join(dir, 'r.bin');
    const f = await openReplayFilter(opts(path));
    const [a, b] = tags(2);
    f.checkAndAdd(a as Uint8Array);
    expect(f.pending).toBe(1);
    f.flush();
    expect(f.pending).toBe(0);
    f.checkAndAdd(b as Uint8Array); // never flushed: its packet never left
    // "Crash": a new process opens the same files while the old one never closed.
    const g = await openReplayFilter(opts(path));
    expect(g.has(a as Uint8Array)).toBe(true);
    expect(g.has(b as Uint8Array)).toBe(false);
    expect(g.count).toBe(1);
    await g.destroy();
    await f.destroy();
  });

  it('one write per flush: the journal holds exactly the new tags, 32 bytes each, mode 0600', async () => {
    const path = join(dir, 'r.bin');
    const f = await openReplayFilter(opts(path));
    const batch = tags(50);
    for (const t of batch) f.checkAndAdd(t);
    f.checkAndAdd(batch[0] as Uint8Array); // a replay is not journaled again
    f.flush();
    const journal = join(dir, 'r.bin.journal-0');
    expect(Buffer.compare(await readFile(journal), Buffer.concat(batch))).toBe(0);
    expect((await stat(journal)).mode & 0o777).toBe(0o600);
    await f.destroy();
  });

  it('a snapshot takes over the journal: older generations are deleted, nothing is lost', async () => {
    const path = join(dir, 'r.bin');
    const f = await openReplayFilter(opts(path));
    const first = tags(100);
    for (const t of first) f.checkAndAdd(t);
    f.flush();
    await f.save();
    const second = tags(100);
    for (const t of second) f.checkAndAdd(t);
    f.flush();
    expect((await readdir(dir)).sort()).toEqual(['r.bin', 'r.bin.journal-1']);
    const g = await openReplayFilter(opts(path)); // crash after the snapshot
    for (const t of [...first, ...second]) expect(g.has(t)).toBe(true);
    expect(g.count).toBe(200);
    await g.close();
    await f.destroy();
  });

  it('ignores a torn last record, and a clean close leaves only the snapshot', async () => {
    const path = join(dir, 'r.bin');
    const t = tag();
    await writeFile(join(dir, 'r.bin.journal-3'), Buffer.concat([t, Buffer.alloc(7, 0xff)]), { mode: 0o600 });
    const f = await openReplayFilter(opts(path));
    expect(f.has(t)).toBe(true);
    expect(f.count).toBe(1);
    f.checkAndAdd(tag());
    await f.close();
    expect(await readdir(dir)).toEqual(['r.bin']);
    const g = await openReplayFilter(opts(path));
    expect(g.count).toBe(2);
    await g.destroy();
    expect(await readdir(dir)).toEqual([]);
  });

  it('flushes by itself when a megabyte of tags is pending', async () => {
    const path = join(dir, 'r.bin');
    const f = await openReplayFilter({ ...opts(path), packetRate: 100_000 });
    for (const t of tags(40_000)) f.checkAndAdd(t);
    expect(f.pending).toBeLessThan(40_000);
    expect((await stat(join(dir, 'r.bin.journal-0'))).size).toBeGreaterThan(0);
    await f.destroy();
  });
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
