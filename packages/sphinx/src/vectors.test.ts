/** Every vector (docs/wire-format.md) on every backend: the repo's own, and ../shared/vectors when present. */
import { describe, expect, it } from 'vitest';
import { decodeNodeAddress, formatNodeAddress } from './address.js';
import { toHex } from './bytes.js';
import { X25519_BASE_POINT } from './crypto/backend.js';
import { SphinxError } from './errors.js';
import { buildHeader } from './header.js';
import { expandSharedSecret, payloadKeyFromSeed } from './kdf.js';
import { lionessDecryptInPlace, lionessEncryptInPlace } from './lioness.js';
import { createPacket, processPacket } from './packet.js';
import { recoverMessage } from './payload.js';
import { createSurb, packetFromSurb, parseSurb } from './surb.js';
import { BACKENDS, SODIUM_INSTALLED } from './test-support/backends.js';
import { hex, loadVector, VECTOR_DIRS } from './test-support/vectors.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON vector entries
type Json = any;

const routeOf = (nodes: Json[]) => nodes.map((n) => ({ address: hex(n.address), publicKey: hex(n.public_key) }));

function expectSphinxError(fn: () => unknown, code: string, message?: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SphinxError);
    expect((err as SphinxError).code).toBe(code);
    if (message) expect((err as SphinxError).message).toContain(message);
    return;
  }
  throw new Error(`expected SphinxError ${code}, nothing was thrown`);
}

it('the native backend uses libsodium here (the fallbacks are a separate entry)', () => {
  expect(SODIUM_INSTALLED).toBe(true);
  expect(BACKENDS[1]?.[1].implementations.x25519).toContain('libsodium');
});

describe.each(VECTOR_DIRS)('vectors in %s', (dir) => {
  const forward = loadVector('forward-3mix-gateway.json', dir);
  const surbVector = loadVector('surb-reply.json', dir);
  const tamper = loadVector('tamper-cases.json', dir);
  const lioness = loadVector('lioness-rs.json', dir);
  const kdf = loadVector('nym-kdf-constants.json', dir);

  describe.each(BACKENDS)('on %s', (_name, backend) => {
    describe('nym-kdf-constants.json', () => {
      it("reproduces Nym's key pairs and shared-secret expansion", () => {
        const { inputs, expected_from_nym_test: nym, computed } = kdf;
        expect(toHex(backend.x25519(hex(inputs.sk1), X25519_BASE_POINT))).toBe(inputs.pk1);
        const s = backend.x25519(hex(inputs.sk2), hex(inputs.pk1));
        expect(toHex(s)).toBe(computed.shared_secret);
        expect(toHex(s)).toBe(kdf.expected_shared_secret_from_brief);
        const e = expandSharedSecret(backend, s);
        expect(toHex(e)).toBe(computed.expanded_shared_secret);
        expect(toHex(e.subarray(0, 16))).toBe(nym.stream_cipher_key);
        expect(toHex(e.subarray(16, 32))).toBe(nym.header_integrity_hmac_key);
        expect(toHex(e.subarray(32, 224))).toBe(nym.legacy_payload_key);
        expect(toHex(e.subarray(224, 256))).toBe(nym.blinding_factor);
        expect(toHex(e.subarray(256, 288))).toBe(computed.replay_tag);
        expect(toHex(e.subarray(32, 48))).toBe(computed.payload_key_seed_v259);
        expect(toHex(payloadKeyFromSeed(backend, e.subarray(32, 48)))).toBe(computed.payload_key_v259);
        for (const kp of kdf.other_fixed_values.x25519_keypairs) {
          expect(toHex(backend.x25519(hex(kp.private_key), X25519_BASE_POINT))).toBe(kp.public_key);
        }
      });
    });

    describe('lioness-rs.json', () => {
      it('encrypts and decrypts the lioness-rs block', () => {
        const block = hex(lioness.plaintext);
        lionessEncryptInPlace(backend, hex(lioness.key), block);
        expect(toHex(block)).toBe(lioness.ciphertext);
        lionessDecryptInPlace(backend, hex(lioness.key), block);
        expect(toHex(block)).toBe(lioness.plaintext);
      });
    });

    describe('forward-3mix-gateway.json', () => {
      const { inputs, sender_intermediate: sender, outputs } = forward;
      const route = routeOf(inputs.route);
      const delaysNs = inputs.delays_ns.map((d: number | string) => BigInt(d));

      it('builds the header with every sender intermediate', () => {
        const built = buildHeader(backend, {
          route,
          delaysNs,
          destination: hex(inputs.destination.address),
          identifier: hex(inputs.destination.identifier),
          initialSecret: hex(inputs.initial_secret),
          finalPadding: hex(inputs.final_routing_padding),
          version: forward.packet_version,
        });
        expect(toHex(built.header.subarray(0, 32))).toBe(sender.alpha0);
        sender.per_hop.forEach((h: Json, i: number) => {
          expect(toHex(built.expansions[i] as Uint8Array)).toBe(h.expanded_shared_secret);
          expect(toHex(built.payloadKeys[i] as Uint8Array)).toBe(h.payload_key);
        });
        expect(toHex(built.header)).toBe(outputs.header);
        expect(toHex(built.header.subarray(32, 48))).toBe(sender.routing_layers_as_built[0].mac);
        expect(toHex(built.header.subarray(48))).toBe(sender.routing_layers_as_built[0].beta);
      });

      it('creates the packet byte for byte', () => {
        const packet = createPacket({
          route,
          delaysNs,
          destination: hex(inputs.destination.address),
          identifier: hex(inputs.destination.identifier),
          message: hex(inputs.message),
          payloadSize: inputs.payload_size,
          initialSecret: hex(inputs.initial_secret),
          finalPadding: hex(inputs.final_routing_padding),
          backend,
        });
        expect(packet.length).toBe(outputs.packet_len);
        expect(toHex(packet.subarray(348))).toBe(outputs.payload);
        expect(toHex(packet)).toBe(outputs.packet);
      });

      it('processes the packet hop by hop', () => {
        let packet = hex(outputs.packet);
        outputs.hops.forEach((h: Json, i: number) => {
          const result = processPacket(packet, hex(inputs.route[i].private_key), { backend });
          expect(toHex(result.replayTag)).toBe(h.replay_tag);
          expect(result.kind).toBe(h.kind);
          if (result.kind === 'forward') {
            expect(toHex(result.nextAddress)).toBe(h.next_address);
            expect(formatNodeAddress(result.nextAddress)).toBe(h.next_address_decoded);
            expect(result.delayNs).toBe(BigInt(h.delay_ns));
            expect(toHex(result.packet.subarray(0, 32))).toBe(h.next_alpha);
            expect(toHex(result.packet.subarray(32, 48))).toBe(h.next_mac);
            expect(toHex(result.packet)).toBe(h.output_packet);
            packet = result.packet;
          } else {
            expect(toHex(result.destination)).toBe(h.destination);
            expect(toHex(result.identifier)).toBe(h.identifier);
            expect(toHex(result.payload)).toBe(h.payload_after_unwrap);
            expect(toHex(recoverMessage(result.payload))).toBe(h.recovered_message);
            expect(toHex(recoverMessage(result.payload))).toBe(outputs.final_recovered_message);
          }
        });
      });

      it('decodes every route address as the vector does', () => {
        for (const node of inputs.route) {
          const decoded = decodeNodeAddress(hex(node.address));
          expect(`${decoded.host}:${decoded.port}`).toBe(node.socket_address);
        }
      });
    });

    describe('surb-reply.json', () => {
      const { inputs, surb_creation: creation, reply_packet: reply, outputs } = surbVector;
      const route = routeOf(inputs.reply_route);

      it('creates the SURB byte for byte and parses it back', () => {
        const surb = createSurb({
          route,
          delaysNs: inputs.delays_ns.map((d: number | string) => BigInt(d)),
          destination: hex(inputs.destination.address),
          identifier: hex(inputs.destination.identifier),
          initialSecret: hex(inputs.surb_initial_secret),
          finalPadding: hex(inputs.final_routing_padding),
          backend,
        });
        expect(surb.length).toBe(creation.surb_len);
        expect(toHex(surb)).toBe(creation.surb_bytes);
        const parsed = parseSurb(surb);
        expect(toHex(parsed.header)).toBe(creation.surb_header);
        expect(toHex(parsed.firstHop)).toBe(creation.first_hop_address);
        expect(parsed.keyMaterial.kind).toBe('keys');
        expect(parsed.keyMaterial.items.map(toHex)).toEqual(creation.payload_keys);
      });

      it("builds the replier's packet and every hop unwraps it to the reply", () => {
        const { firstHop, packet } = packetFromSurb(hex(creation.surb_bytes), hex(inputs.reply_message), {
          payloadSize: inputs.payload_size,
          backend,
        });
        expect(toHex(firstHop)).toBe(reply.send_to_first_hop);
        expect(toHex(packet)).toBe(reply.packet);
        let current = packet;
        outputs.hops.forEach((h: Json, i: number) => {
          const result = processPacket(current, hex(inputs.reply_route[i].private_key), { backend });
          expect(toHex(result.replayTag)).toBe(h.replay_tag);
          if (result.kind === 'forward') {
            expect(toHex(result.nextAddress)).toBe(h.next_address);
            expect(result.delayNs).toBe(BigInt(h.delay_ns));
            expect(toHex(result.packet)).toBe(h.output_packet);
            current = result.packet;
          } else {
            expect(h.kind).toBe('final');
            expect(toHex(result.destination)).toBe(h.destination);
            expect(toHex(result.payload)).toBe(h.payload_after_unwrap);
            expect(toHex(recoverMessage(result.payload))).toBe(outputs.final_recovered_reply);
          }
        });
      });
    });

    describe('tamper-cases.json', () => {
      const ERROR_CODES: Record<string, string> = {
        InvalidHeader: 'INVALID_HEADER',
        InvalidPacket: 'INVALID_PACKET',
        InvalidRouting: 'INVALID_ROUTING',
        InvalidPayload: 'INVALID_PAYLOAD',
      };
      it.each(tamper.cases.map((c: Json) => [c.id, c.description, c]) as [number, string, Json][])(
        'case %i: %s',
        (_id, _d, c) => {
          const keys: string[] = c.route_private_keys_override ?? tamper.route_private_keys;
          let packet = hex(c.packet);
          const { expected } = c;
          if (expected.result === 'error') {
            // Case 10 uses hop 1's key at hop 0: the vector says so in its description.
            const key = c.id === 10 ? keys[1] : keys[expected.at_hop];
            // Case 11 (too short): the kind is shared, the text is each implementation's own (the
            // crate says "tried to recover sphinx packet using 364 bytes, …", we "packet too short: …").
            expectSphinxError(
              () => processPacket(packet, hex(key as string), { backend }),
              ERROR_CODES[expected.error_kind] as string,
              c.id === 11 ? '364 bytes' : expected.error,
            );
            return;
          }
          let payload: Uint8Array | undefined;
          keys.forEach((key, i) => {
            const result = processPacket(packet, hex(key), { backend });
            expect(toHex(result.replayTag)).toBe(expected.hops_processed_ok[i].replay_tag);
            if (result.kind === 'forward') packet = result.packet;
            else payload = result.payload;
          });
          expect(payload).toBeDefined();
          if (expected.result === 'ok') {
            expect(toHex(recoverMessage(payload as Uint8Array))).toBe(expected.recovered_message);
          } else {
            expectSphinxError(
              () => recoverMessage(payload as Uint8Array),
              ERROR_CODES[expected.error_kind] as string,
              expected.error,
            );
          }
        },
      );
    });
  });
});
