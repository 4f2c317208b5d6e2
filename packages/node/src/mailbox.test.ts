/** The gateway mailbox: order, limits, persistence, failing deliveries, concurrency, file modes. */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MailboxOptions, openMailbox } from './mailbox.js';

const addr = (b: number) => new Uint8Array(32).fill(b);
const msg = (s: string) => new TextEncoder().encode(s);
const text = (m: Uint8Array) => new TextDecoder().decode(m);

describe('mailbox', () => {
  let dir: string;
  let opts: MailboxOptions;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'mailbox-')), 'box');
    opts = { dir, maxMessagesPerClient: 100, maxBytesPerClient: 10_000 };
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  const collect = async (box: Awaited<ReturnType<typeof openMailbox>>, client: Uint8Array) => {
    const got: string[] = [];
    const n = await box.drain(client, (m) => {
      got.push(text(m));
    });
    return { n, got };
  };

  it('delivers oldest first, per client, and deletes what it delivered', async () => {
    const box = await openMailbox(opts);
    for (let i = 0; i < 12; i++) expect(await box.put(addr(1), msg(`a${i}`))).toBe(true);
    await box.put(addr(2), msg('b0'));
    expect(box.count(addr(1))).toBe(12);
    expect(box.bytes(addr(1))).toBe(2 * 10 + 3 * 2);
    expect(box.totalMessages).toBe(13);
    const { n, got } = await collect(box, addr(1));
    expect(n).toBe(12);
    expect(got).toEqual(Array.from({ length: 12 }, (_, i) => `a${i}`));
    expect(box.count(addr(1))).toBe(0);
    expect(box.bytes(addr(1))).toBe(0);
    expect(box.totalMessages).toBe(1);
    expect(await collect(box, addr(1))).toEqual({ n: 0, got: [] });
    expect(await collect(box, addr(3))).toEqual({ n: 0, got: [] });
    await box.close();
  });

  it('enforces the count and byte limits, and a refused put stores nothing', async () => {
    const box = await openMailbox({ dir, maxMessagesPerClient: 3, maxBytesPerClient: 10 });
    const c = addr(7);
    expect(await box.put(c, msg('1234'))).toBe(true);
    expect(await box.put(c, msg('12345678'))).toBe('client_full'); // 4 + 8 > 10
    expect(await box.put(c, msg('123456'))).toBe(true); // exactly 10
    expect(await box.put(c, msg(''))).toBe(true);
    expect(await box.put(c, msg(''))).toBe('client_full'); // a 4th message
    expect(box.count(c)).toBe(3);
    expect(box.bytes(c)).toBe(10);
    expect(await readdir(join(dir, Buffer.from(c).toString('hex')))).toHaveLength(3);
    expect(await box.put(addr(8), msg('12345678901'))).toBe('client_full'); // bigger than the limit alone
    expect(box.count(addr(8))).toBe(0);
    // Limits are per client, and draining makes room again.
    expect(await box.put(addr(8), msg('x'))).toBe(true);
    await collect(box, c);
    expect(await box.put(c, msg('12345678'))).toBe(true);
    await box.close();
  });

  it('keeps messages across a reopen, in order, with 0700 folders and 0600 files', async () => {
    const box = await openMailbox(opts);
    const c = addr(9);
    const payloads = Array.from({ length: 5 }, () => randomBytes(100));
    for (const p of payloads) await box.put(c, p);
    await box.close();
    await expect(box.put(c, msg('late'))).rejects.toThrow(/closed/);

    const folder = join(dir, Buffer.from(c).toString('hex'));
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    for (const f of await readdir(folder)) expect((await stat(join(folder, f))).mode & 0o777).toBe(0o600);

    // A crash mid-put leaves a temporary file: it was never acknowledged, so it goes.
    await writeFile(join(folder, '0000000000000099.tmp'), 'half');
    const again = await openMailbox(opts);
    expect(again.count(c)).toBe(5);
    expect(again.bytes(c)).toBe(500);
    expect(again.totalMessages).toBe(5);
    expect(await readdir(folder)).toHaveLength(5);
    await again.put(c, msg('sixth'));
    const got: Uint8Array[] = [];
    expect(await again.drain(c, (m) => void got.push(m))).toBe(6);
    expect(got.slice(0, 5).map((m) => Buffer.from(m).toString('hex'))).toEqual(payloads.map((p) => p.toString('hex')));
    expect(text(got[5] as Uint8Array)).toBe('sixth');
    await again.close();
  });

  it('ignores foreign entries and tidies empty client folders at open', async () => {
    await mkdir(join(dir, 'a'.repeat(64)), { recursive: true });
    await mkdir(join(dir, 'not-a-client'), { recursive: true });
    await writeFile(join(dir, 'stray.txt'), 'x');
    const box = await openMailbox(opts);
    expect(box.totalMessages).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['not-a-client', 'stray.txt']);
    await box.close();
  });

  it('stops at the first failing deliver; that message and later ones stay', async () => {
    const box = await openMailbox(opts);
    const c = addr(3);
    for (const s of ['m0', 'm1', 'm2', 'm3']) await box.put(c, msg(s));
    const seen: string[] = [];
    const n = await box.drain(c, async (m) => {
      seen.push(text(m));
      if (text(m) === 'm2') throw new Error('client went away');
    });
    expect(n).toBe(2);
    expect(seen).toEqual(['m0', 'm1', 'm2']);
    expect(box.count(c)).toBe(2);
    // A synchronous throw counts the same, and a rejected promise too.
    expect(
      await box.drain(c, () => {
        throw new Error('sync');
      }),
    ).toBe(0);
    expect(await box.drain(c, () => Promise.reject(new Error('async')))).toBe(0);
    const { n: rest, got } = await collect(box, c);
    expect(rest).toBe(2);
    expect(got).toEqual(['m2', 'm3']);
    await box.close();
  });

  it('serializes concurrent puts and drains for one client', async () => {
    const box = await openMailbox({ dir, maxMessagesPerClient: 50, maxBytesPerClient: 1e6 });
    const c = addr(5);
    const results = await Promise.all(Array.from({ length: 80 }, (_, i) => box.put(c, msg(`p${i}`))));
    expect(results.filter((r) => r === true)).toHaveLength(50);
    expect(results.slice(0, 50).every((r) => r === true)).toBe(true); // first come, first stored
    expect(box.count(c)).toBe(50);

    // Puts racing a slow drain: nothing lost, nothing duplicated, order kept.
    const got: string[] = [];
    const drain = box.drain(c, async (m) => {
      got.push(text(m));
      await new Promise((r) => setTimeout(r, 1));
    });
    const more = Promise.all(Array.from({ length: 20 }, (_, i) => box.put(c, msg(`q${i}`))));
    const [n, stored] = await Promise.all([drain, more]);
    const left = await collect(box, c);
    const all = [...got, ...left.got];
    expect(n + left.n).toBe(50 + stored.filter((r) => r === true).length);
    expect(new Set(all).size).toBe(all.length);
    expect(all.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => `p${i}`));
    expect(box.count(c)).toBe(0);
    expect(box.totalMessages).toBe(0);
    await box.close();
  });

  it('a deliver that puts for the same client does not deadlock', async () => {
    const box = await openMailbox(opts);
    const c = addr(4);
    await box.put(c, msg('first'));
    const got: string[] = [];
    await box.drain(c, async (m) => {
      got.push(text(m));
      if (text(m) === 'first') await box.put(c, msg('again'));
    });
    expect(got).toEqual(['first', 'again']);
    await box.close();
  });

  it('enforces the global caps: mailboxes, total messages and total bytes, also under concurrent puts', async () => {
    const box = await openMailbox({ ...opts, maxMailboxes: 3, maxTotalMessages: 5, maxTotalBytes: 40 });
    // 3,000 distinct destinations at once (the flood of issue 14 #4): three mailboxes at most.
    const flood = await Promise.all(Array.from({ length: 3_000 }, (_, i) => box.put(randomBytes(32), msg(`${i}`))));
    expect(flood.filter((r) => r === true)).toHaveLength(3);
    expect(new Set(flood.filter((r) => r !== true))).toEqual(new Set(['too_many_mailboxes']));
    expect(box.mailboxes).toBe(3);
    expect((await readdir(dir)).length).toBe(3);
    await rm(dir, { recursive: true });
    await mkdir(dir);

    const fresh = await openMailbox({ ...opts, dir, maxMailboxes: 10, maxTotalMessages: 5, maxTotalBytes: 40 });
    const puts = await Promise.all(Array.from({ length: 8 }, (_, i) => fresh.put(addr(i), msg('1234567'))));
    expect(puts.filter((r) => r === true)).toHaveLength(5); // 5 messages, 35 bytes
    expect(puts.filter((r) => r === 'total_full')).toHaveLength(3);
    expect(await fresh.put(addr(0), msg('123456'))).toBe('total_full');
    await collect(fresh, addr(0));
    expect(await fresh.put(addr(9), msg('123'))).toBe(true); // room again after a drain
    expect(await fresh.put(addr(9), msg('1234567'))).toBe('total_full'); // 45 bytes > 40
    expect(fresh.totalBytes).toBe(31);
    expect(fresh.mailboxes).toBe(5);
    await fresh.close();
    await box.close();
  });

  it('deletes messages older than maxAgeMs: by expire(), on drain, and by mtime after a reopen', async () => {
    let t = 1_000_000;
    let expired = 0;
    const onExpired = (n: number) => {
      expired += n;
    };
    const box = await openMailbox({ ...opts, maxAgeMs: 1_000, now: () => t, onExpired });
    await box.put(addr(1), msg('old'));
    await box.put(addr(2), msg('old too'));
    t += 600;
    await box.put(addr(1), msg('young'));
    t += 500; // 'old' and 'old too' are 1,100 ms old
    expect(await box.expire()).toBe(2);
    expect(box.totalMessages).toBe(1);
    expect(box.mailboxes).toBe(1);
    t += 600; // 'young' is now too old as well: a drain skips it
    expect(await collect(box, addr(1))).toEqual({ n: 0, got: [] });
    expect(box.totalMessages).toBe(0);
    expect(expired).toBe(3);
    await box.put(addr(3), msg('kept'));
    await box.close();
    // After a restart a message's age comes from its file's mtime.
    const folder = join(dir, Buffer.from(addr(3)).toString('hex'));
    const [file] = await readdir(folder);
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(join(folder, file as string), hourAgo, hourAgo);
    const again = await openMailbox({ ...opts, maxAgeMs: 60_000, onExpired });
    expect(again.totalMessages).toBe(0);
    expect(expired).toBe(4);
    expect(again.mailboxes).toBe(0);
    await again.close();
  });

  it('rejects client addresses of the wrong length', async () => {
    const box = await openMailbox(opts);
    await expect(box.put(new Uint8Array(31), msg('x'))).rejects.toThrow(RangeError);
    await expect(box.drain(new Uint8Array(33), () => {})).rejects.toThrow(RangeError);
    expect(() => box.count(new Uint8Array(0))).toThrow(RangeError);
    expect(() => box.bytes(new Uint8Array(64))).toThrow(RangeError);
    expect(box.totalMessages).toBe(0);
    await box.close();
  });
});
