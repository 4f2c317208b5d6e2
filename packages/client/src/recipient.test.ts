/** Addresses (recipient.ts): formatting, parsing, service provider ids, and what is refused. */
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from './bytes.js';
import { AddressError, formatRecipient, parseRecipient, type Recipient } from './recipient.js';
import { testTopology } from './test-support/topology.js';

const topology = testTopology([1, 1], 3);
const identityArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((s) => ed25519.getPublicKey(s));
const gatewayArb = fc.constantFrom(...topology.gateways.map((g) => g.id));

describe('formatRecipient / parseRecipient', () => {
  it('round-trip any identity at any gateway of the topology', () => {
    fc.assert(
      fc.property(identityArb, gatewayArb, (identity, gateway) => {
        const text = formatRecipient({ identity, gateway });
        expect(text).toBe(`${toHex(identity)}@${gateway}`);
        expect(parseRecipient(text, topology)).toEqual({ identity, gateway });
      }),
      { numRuns: 30 },
    );
  });

  it('passes a Recipient object through', () => {
    const r: Recipient = { identity: new Uint8Array(32), gateway: 'anything' };
    expect(parseRecipient(r, topology)).toBe(r);
  });

  it('resolves a service provider by its id or by its bare address', () => {
    const sp = topology.serviceProviders[0] as { id: string; address: string; gateway: string };
    const expected = { identity: Uint8Array.from(Buffer.from(sp.address, 'hex')), gateway: 'gw0' };
    expect(parseRecipient('sp', topology)).toEqual(expected);
    expect(parseRecipient(sp.address, topology)).toEqual(expected);
    expect(expected.identity).toEqual(ed25519.getPublicKey(topology.spSecret));
  });

  it('refuses what is not an address, saying what an address looks like', () => {
    const id = toHex(ed25519.getPublicKey(ed25519.utils.randomSecretKey()));
    for (const bad of [
      '',
      'sp2',
      id, // a bare identity that is not a service provider
      `${id}@`,
      `@gw0`,
      `${id.slice(2)}@gw0`, // 31 bytes
      `${id}00@gw0`, // 33 bytes
      `${id.toUpperCase()}@gw0`,
      `${id.slice(0, 62)}zz@gw0`,
      `0x${id.slice(2)}@gw0`,
      ` ${id}@gw0`,
    ]) {
      expect(() => parseRecipient(bad, topology), bad).toThrow(AddressError);
    }
    expect(() => parseRecipient('nope', topology)).toThrow(/<64 hex>@<gateway id>/);
  });

  it('refuses a gateway the topology does not have, naming it', () => {
    const id = toHex(ed25519.getPublicKey(ed25519.utils.randomSecretKey()));
    expect(() => parseRecipient(`${id}@gw9`, topology)).toThrow(AddressError);
    expect(() => parseRecipient(`${id}@gw9`, topology)).toThrow(/no gateway "gw9"/);
    expect(() => parseRecipient(`${id}@mix-0-0`, topology)).toThrow(/no gateway "mix-0-0"/);
  });

  it('takes a gateway the caller still knows though this topology leaves it out (knownGateway)', () => {
    const id = toHex(ed25519.getPublicKey(ed25519.utils.randomSecretKey()));
    expect(parseRecipient(`${id}@gw9`, topology, (g) => g === 'gw9').gateway).toBe('gw9');
    expect(() => parseRecipient(`${id}@gw8`, topology, (g) => g === 'gw9')).toThrow(/no gateway "gw8"/);
  });

  it('refuses an identity that is not an Ed25519 public key (nothing could ever be sealed to it)', () => {
    // y = 2 is not on edwards25519: no x satisfies the curve equation.
    const notAPoint = `02${'00'.repeat(31)}`;
    expect(() => ed25519.Point.fromHex(notAPoint)).toThrow();
    expect(() => parseRecipient(`${notAPoint}@gw0`, topology)).toThrow(AddressError);
    expect(() => parseRecipient(`${notAPoint}@gw0`, topology)).toThrow(/not an Ed25519 public key/);
    const badSp = { ...topology, serviceProviders: [{ id: 'sp', address: notAPoint, gateway: 'gw0' }] };
    expect(() => parseRecipient('sp', badSp)).toThrow(/service provider "sp"/);
  });
});
