/**
 * The node's directory agent against a tiny in-test directory (test-support/directory-server.ts):
 * registration, documents accepted and refused (counted by code), ETags, the poll right after
 * validUntil, outages (last good document kept, one warning), and the document kept across a restart.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { generateKeyPair } from '@mixnet/sphinx';
import { MAX_DOCUMENT_SIZE, sphinxKeyEntry, type TopologyDocument } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDirectoryAgent, type DirectoryAgent, type DirectoryAgentOptions, pollDelay } from './directory-agent.js';
import { createLogger } from './logger.js';
import { type FakeDirectory, makeDocument, startFakeDirectory } from './test-support/directory-server.js';

let dir: FakeDirectory;
let tmp: string;
let agents: DirectoryAgent[];
let logs: { level: number; msg: string; code?: string }[];

beforeEach(async () => {
  dir = await startFakeDirectory();
  tmp = mkdtempSync(join(tmpdir(), 'directory-agent-'));
  agents = [];
  logs = [];
});
afterEach(async () => {
  for (const a of agents) await a.stop();
  await dir.close();
  rmSync(tmp, { recursive: true, force: true });
});

const sink = () =>
  new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
const until = async (cond: () => boolean, timeoutMs = 10_000, what = 'condition') => {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

function agent(over: Partial<DirectoryAgentOptions> = {}): DirectoryAgent {
  const identity = randomBytes(32);
  const identityPublicKey = ed25519.getPublicKey(identity);
  const sphinx = [generateKeyPair(), generateKeyPair()];
  const a = createDirectoryAgent({
    url: dir.url,
    publicKey: dir.publicKey,
    announceMs: 60_000,
    node: { id: 'gw-1', role: 'gateway', address: '127.0.0.1:4000', clientUrl: 'ws://127.0.0.1:4001', software: 't/1' },
    identityPrivateKey: identity,
    identityPublicKey,
    sphinxKeys: () => sphinx.map((k, r) => sphinxKeyEntry(r, k.privateKey, k.publicKey, identityPublicKey)),
    documentPath: join(tmp, 'document.json'),
    logger: createLogger({ level: 'debug', name: 'test', destination: sink() }),
    registry: new Registry(),
    firstPollMs: 50,
    maxBackoffMs: 200,
    ...over,
  });
  agents.push(a);
  return a;
}

describe('directory agent', () => {
  it('registers a descriptor the directory can verify: keys with proofs, addresses, strictly newer each time', async () => {
    const a = agent();
    a.start();
    const d = await dir.waitForDescriptors(1);
    expect(d).toMatchObject({
      id: 'gw-1',
      role: 'gateway',
      address: '127.0.0.1:4000',
      clientUrl: 'ws://127.0.0.1:4001',
    });
    expect(d.sphinxKeys.map((k) => k.rotation)).toEqual([0, 1]);
    // Asked while one is in flight: that one, then one more with what is current by then.
    expect(await a.announce()).toBe(true);
    await until(() => a.stats.announced === 2);
    expect(await a.announce()).toBe(true);
    await until(() => a.stats.announced === 3);
    const issued = dir.descriptors.map((x) => x.issuedAt);
    expect(issued).toHaveLength(3);
    expect(issued[2]).toBeGreaterThan(issued[1] as number);
    expect(issued[1]).toBeGreaterThan(issued[0] as number);
  });

  it('counts and logs a refused descriptor by its code, once at warn', async () => {
    dir.refuseDescriptors('NOT_ADMITTED');
    const a = agent();
    a.start();
    await until(() => a.stats.announceFailures.NOT_ADMITTED === 1);
    expect(await a.announce()).toBe(false);
    expect(a.stats.announceFailures.NOT_ADMITTED).toBe(2);
    expect(logs.filter((l) => l.level === 40 && /refused our descriptor/.test(l.msg))).toHaveLength(1);
  });

  it('follows documents epoch by epoch (with the previous one), using If-None-Match', async () => {
    const seen: [number, number | undefined][] = [];
    const a = agent();
    a.onDocument((doc, prev) => seen.push([doc.epoch, prev?.epoch]));
    a.start();
    await until(() => dir.requests.topology >= 2, 10_000, 'a poll before the first epoch');
    expect(a.current()).toBeUndefined(); // 404 NO_EPOCH is not an error
    expect(a.stats.refused).toEqual({});
    // Epochs long enough that a loaded machine does not see the document go stale mid-test.
    dir.publish(makeDocument({ epoch: 1, epochMs: 2_000 }));
    await until(() => a.current()?.epoch === 1);
    const before = dir.requests.notModified;
    await a.poll();
    expect(dir.requests.notModified).toBe(before + 1);
    dir.publish(makeDocument({ epoch: 2, keyRotation: 1, epochMs: 2_000 }));
    await until(() => a.current()?.epoch === 2);
    expect(seen).toEqual([
      [1, undefined],
      [2, 1],
    ]);
    expect(a.status()).toMatchObject({ epoch: 2, keyRotation: 1, reachable: true, stale: false });
    // A listener added later hears the current document at once.
    const late: number[] = [];
    a.onDocument((doc) => late.push(doc.epoch));
    expect(late).toEqual([2]);
  });

  it('refuses a wrong key, an epoch going backwards, an oversize or malformed answer: counted, logged, last good kept', async () => {
    const a = agent();
    a.start();
    dir.publish(makeDocument({ epoch: 5, epochMs: 200 }));
    await until(() => a.current()?.epoch === 5);
    const cases: [string, () => void][] = [
      ['BAD_SIGNATURE', () => dir.publish(makeDocument({ epoch: 6, epochMs: 200 }), randomBytes(32))],
      ['EPOCH_BACKWARDS', () => dir.publish(makeDocument({ epoch: 4, epochMs: 200 }))],
      ['OVERSIZE', () => dir.serveRaw(JSON.stringify({ document: 'x'.repeat(2 * MAX_DOCUMENT_SIZE + 2048) }))],
      ['MALFORMED', () => dir.serveRaw('{"document": 42')],
    ];
    for (const [code, act] of cases) {
      act();
      await until(() => (a.stats.refused[code] ?? 0) >= 2, 10_000, code); // refused at every poll
      expect(a.current()?.epoch, code).toBe(5);
      dir.serveRaw(undefined);
    }
    const warned = logs.filter((l) => l.level === 40 && l.msg === 'topology document refused').map((l) => l.code);
    expect(warned).toEqual(['BAD_SIGNATURE', 'EPOCH_BACKWARDS', 'OVERSIZE', 'MALFORMED']); // once each
    dir.publish(makeDocument({ epoch: 6, epochMs: 200 }));
    await until(() => a.current()?.epoch === 6);
    expect(a.stats.accepted).toBe(2);
  });

  it('property: whatever the directory answers, the agent refuses with a code and keeps its document', async () => {
    const a = agent();
    a.start();
    const good = dir.publish(makeDocument({ epoch: 2 }));
    await until(() => a.current()?.epoch === 2);
    const mutate = (text: string, at: number, by: string) =>
      text.slice(0, at % (text.length + 1)) + by + text.slice((at % (text.length + 1)) + 1);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
          fc
            .tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 3 }))
            .map(([at, by]) => JSON.stringify({ ...good, document: mutate(good.document, at, by) })),
        ),
        async (body) => {
          dir.serveRaw(body);
          await a.poll();
          expect(a.current()?.epoch).toBe(2);
        },
      ),
      { numRuns: 150 },
    );
    dir.serveRaw(undefined);
    expect(logs.filter((l) => l.level >= 50)).toEqual([]); // no "polling failed": every answer got a code
    expect(Object.keys(a.stats.refused).every((c) => ['MALFORMED', 'BAD_SIGNATURE', 'OVERSIZE'].includes(c))).toBe(
      true,
    );
  });

  it('polls right after validUntil, not only every epochMs / 4', async () => {
    const a = agent();
    a.start();
    // A long epoch (the regular poll is 5 s away) that ends in 300 ms.
    dir.publish(makeDocument({ epoch: 1, epochMs: 600_000, validUntil: Date.now() + 300 }));
    await until(() => a.current()?.epoch === 1);
    dir.publish(makeDocument({ epoch: 2, epochMs: 600_000 }));
    const t0 = Date.now();
    await until(() => a.current()?.epoch === 2, 10_000);
    expect(Date.now() - t0).toBeLessThan(4_000);
  });

  it('keeps the last good document through an outage, warns once, and re-announces when the directory is back', async () => {
    const a = agent();
    a.start();
    dir.publish(makeDocument({ epoch: 3, epochMs: 200 }));
    await until(() => a.current()?.epoch === 3);
    const announced = dir.descriptors.length;
    await dir.close();
    await until(() => !a.status().reachable);
    await a.announce(); // fails: counted as unreachable
    await new Promise((r) => setTimeout(r, 600)); // several retries
    expect(a.current()?.epoch).toBe(3);
    expect(a.stats.announceFailures.unreachable).toBeGreaterThanOrEqual(1);
    const warnings = logs.filter((l) => l.level === 40 && /unreachable/.test(l.msg));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toBe('directory unreachable, keeping epoch 3');
    await dir.reopen();
    await until(() => a.status().reachable);
    await until(() => dir.descriptors.length > announced, 10_000, 're-announce');
  });

  it('starts from the saved document after a restart while the directory is down', async () => {
    const a = agent();
    a.start();
    const doc: TopologyDocument = makeDocument({ epoch: 9, keyRotation: 3 });
    dir.publish(doc);
    await until(() => a.current()?.epoch === 9);
    await a.stop();
    await dir.close();
    const heard: number[] = [];
    const b = agent();
    b.onDocument((d) => heard.push(d.epoch));
    b.start();
    expect(heard).toEqual([9]);
    expect(b.current()).toEqual(doc);
    // A saved document signed by another key is ignored.
    const c = agent({ publicKey: ed25519.getPublicKey(randomBytes(32)) });
    c.start();
    expect(c.current()).toBeUndefined();
    await dir.reopen();
  });
});

describe('pollDelay: one jittered poll after each boundary, a half-epoch safety poll', () => {
  it('property: after the boundary within the first tenth (≤ 2 s); never later than half an epoch; late → soon', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 3_600_000 }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.double({ min: -2, max: 2, noNaN: true }),
        (epochMs, u, at) => {
          const now = 1_000_000_000;
          const doc = makeDocument({ epoch: 1, epochMs, validUntil: now + Math.round(at * epochMs) });
          const d = pollDelay(doc, now, () => u);
          expect(d).toBeGreaterThan(0);
          if (doc.validUntil > now) {
            expect(d).toBeLessThanOrEqual(Math.min(epochMs / 2, 5_000) * 1.1);
            // Not past the boundary's window: at most its first tenth, 2 s.
            expect(now + d).toBeLessThanOrEqual(doc.validUntil + 100 + Math.min(epochMs / 10, 2_000));
          } else expect(d).toBeLessThanOrEqual(2_000 * 1.25);
        },
      ),
    );
  });

  it('spreads a network’s polls after a boundary instead of one instant', () => {
    const now = 1_000_000_000;
    const doc = makeDocument({ epoch: 1, epochMs: 20_000, validUntil: now + 1_000 });
    const at = Array.from({ length: 170 }, () => now + pollDelay(doc, now, Math.random));
    expect(Math.max(...at) - Math.min(...at)).toBeGreaterThan(1_000); // spread over up to 2 s
    for (const t of at) expect(t).toBeGreaterThanOrEqual(doc.validUntil + 100);
  });
});
