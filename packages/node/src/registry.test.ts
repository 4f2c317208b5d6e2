/** The gateway's registered addresses (registry.ts): expiry, cap, persistence. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRegistry } from './registry.js';

const address = () => randomBytes(32).toString('hex');

describe('registry', () => {
  it('knows an address from its touch until ttlMs after it was last seen', async () => {
    let t = 1_000;
    const dir = mkdtempSync(join(tmpdir(), 'mixnet-registry-'));
    const reg = await openRegistry({ file: join(dir, 'r.bin'), ttlMs: 100, maxAddresses: 10, now: () => t });
    const a = address();
    expect(reg.has(a)).toBe(false);
    expect(reg.touch(a)).toBe(true);
    t += 99;
    expect(reg.has(a)).toBe(true);
    reg.touch(a);
    t += 99;
    expect(reg.has(a)).toBe(true);
    t += 1;
    expect(reg.has(a)).toBe(false);
    expect(() => reg.touch('not hex')).toThrow(RangeError);
    await reg.close();
  });

  it('refuses new addresses when full, after forgetting the expired ones', async () => {
    let t = 0;
    const dir = mkdtempSync(join(tmpdir(), 'mixnet-registry-'));
    const reg = await openRegistry({ file: join(dir, 'r.bin'), ttlMs: 100, maxAddresses: 3, now: () => t });
    const [a, b, c, d] = [address(), address(), address(), address()];
    expect([reg.touch(a), reg.touch(b), reg.touch(c)]).toEqual([true, true, true]);
    expect(reg.touch(d)).toBe(false);
    expect(reg.touch(a)).toBe(true); // one already known is refreshed
    t += 100; // a, b, c expire…
    reg.touch(a); // …but a is seen again (the only entry left once d prunes)
    expect(reg.touch(d)).toBe(true);
    expect(reg.size).toBe(2);
    await reg.close();
  });

  it('keeps the registered set across a restart (file 0600), without expired entries', async () => {
    let t = 5_000;
    const dir = mkdtempSync(join(tmpdir(), 'mixnet-registry-'));
    const file = join(dir, 'r.bin');
    const reg = await openRegistry({ file, ttlMs: 1_000, maxAddresses: 100, now: () => t, saveDelayMs: 10 });
    const old = address();
    reg.touch(old);
    t += 600;
    const fresh = Array.from({ length: 20 }, address);
    for (const a of fresh) reg.touch(a);
    await new Promise((r) => setTimeout(r, 100)); // the delayed save
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await reg.close();
    t += 500;
    const again = await openRegistry({ file, ttlMs: 1_000, maxAddresses: 100, now: () => t });
    expect(again.size).toBe(20);
    expect(fresh.every((a) => again.has(a))).toBe(true);
    expect(again.has(old)).toBe(false);
    await again.close();
    writeFileSync(file, 'garbage');
    await expect(openRegistry({ file, ttlMs: 1_000, maxAddresses: 100 })).rejects.toThrow(/not a registry file/);
  });
});
