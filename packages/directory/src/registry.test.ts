import { DescriptorError, type NodeDescriptor, signDescriptor } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRegistry } from './registry.js';
import { serviceProviderDescriptor, testIdentity } from './test-support/fixtures.js';

const codeOf = (f: () => unknown): string => {
  try {
    f();
    return 'accepted';
  } catch (err) {
    if (err instanceof DescriptorError) return err.code;
    throw err;
  }
};

describe('registry', () => {
  it('accepts a node and a service provider and lists them by id', () => {
    const r = createRegistry({ admission: 'open', announceMs: 1000 });
    const b = testIdentity('mix-b');
    const a = testIdentity('gw-a', 'gateway');
    r.submit(b.signed());
    r.submit(a.signed());
    r.submit(serviceProviderDescriptor('sp', 'gw-a').signed);
    expect(r.nodes().map((e) => e.descriptor.id)).toEqual(['gw-a', 'mix-b']);
    expect(r.serviceProviders().map((e) => e.descriptor.id)).toEqual(['sp']);
    expect(r.get('mix-b')?.descriptor.identityKey).toBe(b.identityKey);
  });

  it('tells a renewal (the same descriptor, issued later) from a new or changed registration', () => {
    const r = createRegistry({ admission: 'open', announceMs: 1000 });
    const n = testIdentity('mix-1');
    // One descriptor (its key proofs made once, as a node does), signed at several times.
    const base = n.descriptor();
    const at = base.issuedAt;
    const sign = (over: Partial<typeof base>) => signDescriptor({ ...base, ...over }, n.secret);
    expect(r.submit(sign({ issuedAt: at })).renewal).toBe(false);
    expect(r.submit(sign({ issuedAt: at + 1 })).renewal).toBe(true);
    expect(r.submit(sign({ address: '127.0.0.1:2', issuedAt: at + 2 })).renewal).toBe(false);
    expect(r.submit(sign({ address: '127.0.0.1:2', issuedAt: at + 3 })).renewal).toBe(true);
    // New key proofs (a rotation signs new ones) are a change.
    expect(r.submit(sign({ ...n.descriptor(), address: '127.0.0.1:2', issuedAt: at + 4 })).renewal).toBe(false);
    expect(r.get('mix-1')?.lastAnnounce).toBeGreaterThan(0);
  });

  it('refuses each bad descriptor with its code', () => {
    const admitted = testIdentity('mix-1');
    const r = createRegistry({ admission: { identityKeys: [admitted.identityKey] }, announceMs: 1000 });
    expect(codeOf(() => r.submit(admitted.signed()))).toBe('accepted');

    const signed = admitted.signed();
    expect(codeOf(() => r.submit({ ...signed, descriptor: 'x'.repeat(9000) }))).toBe('OVERSIZE');
    expect(codeOf(() => r.submit({ descriptor: 1 }))).toBe('MALFORMED');
    expect(
      codeOf(() => r.submit(signDescriptor({ ...admitted.descriptor(), address: 'localhost:1' }, admitted.secret))),
    ).toBe('MALFORMED');
    // Signed by another key than the one it names.
    const forged = signDescriptor(admitted.descriptor(), ed25519.utils.randomSecretKey());
    expect(codeOf(() => r.submit(forged))).toBe('BAD_SIGNATURE');
    // Another node's Sphinx key claimed as ours: its proof binds it to the other identity.
    const other = testIdentity('mix-x');
    const stolen = signDescriptor(
      { ...admitted.descriptor(), sphinxKeys: other.descriptor().sphinxKeys },
      admitted.secret,
    );
    expect(codeOf(() => r.submit(stolen))).toBe('BAD_PROOF');
    expect(codeOf(() => r.submit(admitted.signed({ issuedAt: Date.now() - 10 * 60_000 })))).toBe('STALE');
    // The same signed descriptor again, and an older one.
    expect(codeOf(() => r.submit(signed))).toBe('accepted');
    expect(codeOf(() => r.submit(signed))).toBe('REPLAYED');
    const older = (JSON.parse(signed.descriptor) as { issuedAt: number }).issuedAt - 1;
    expect(codeOf(() => r.submit(admitted.signed({ issuedAt: older })))).toBe('REPLAYED');
    expect(codeOf(() => r.submit(testIdentity('mix-2').signed()))).toBe('NOT_ADMITTED');
  });

  it('binds an id to its first identity (ID_CONFLICT) and frees it when that identity renames itself', () => {
    const r = createRegistry({ admission: 'open', announceMs: 1000 });
    const first = testIdentity('mix-1');
    r.submit(first.signed());
    expect(codeOf(() => r.submit(testIdentity('mix-1').signed()))).toBe('ID_CONFLICT');
    r.submit(first.signed({ id: 'mix-renamed' }));
    expect(codeOf(() => r.submit(testIdentity('mix-1').signed()))).toBe('accepted');
    expect(r.nodes().map((e) => e.descriptor.id)).toEqual(['mix-1', 'mix-renamed']);
  });

  it('expires a registration not renewed within 3 × announceMs, counted from a restart at the earliest', () => {
    let now = 1_000_000;
    const n = testIdentity('mix-1');
    const r = createRegistry({ admission: 'open', announceMs: 100, now: () => now });
    // verifyDescriptor checks freshness against the injected clock.
    r.submit(n.signed({ issuedAt: now }));
    const entry = r.get('mix-1');
    if (!entry) throw new Error('not registered');
    now += 300;
    expect(r.isExpired(entry)).toBe(false);
    now += 1;
    expect(r.isExpired(entry)).toBe(true);
    // A restarted directory (since = now) gives the same entry a full 3 × announceMs again.
    const restarted = createRegistry({
      admission: 'open',
      announceMs: 100,
      now: () => now,
      restore: [entry],
      since: now,
    });
    expect(restarted.isExpired(entry)).toBe(false);
    now += 301;
    expect(restarted.isExpired(entry)).toBe(true);
  });

  it('gives only typed errors for re-signed mutated descriptors, and keeps one identity per id', () => {
    const r = createRegistry({ admission: 'open', announceMs: 1000 });
    const n = testIdentity('mix-1');
    const base = n.descriptor();
    const patched = fc
      .dictionary(
        fc.constantFrom(...Object.keys(base), 'id', 'clientUrl'),
        fc.oneof(fc.jsonValue(), fc.constantFrom('mix-2', 'gw', '::1', '[::1]:5', 'ws://a:1')),
        { maxKeys: 3 },
      )
      .map((patch) => signDescriptor({ ...base, issuedAt: Date.now(), ...patch } as NodeDescriptor, n.secret));
    const codes = new Set<string>();
    fc.assert(
      fc.property(patched, (body) => {
        try {
          r.submit(body);
          codes.add('accepted');
        } catch (err) {
          expect(err).toBeInstanceOf(DescriptorError);
          codes.add((err as DescriptorError).code);
        }
      }),
      { numRuns: 500 },
    );
    expect(codes.has('MALFORMED')).toBe(true);
    const ids = r.nodes().map((e) => e.descriptor.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(r.nodes().length).toBeLessThanOrEqual(1); // one identity: at most one registration
  });
});
