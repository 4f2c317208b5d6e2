//! `nym-sphinx-peer --vectors DIR`: the project's own test vectors, computed by
//! sphinx-packet 0.6.0 itself (the authority), in the layout of
//! docs/wire-format.md §"Test vectors". Regenerate with `scripts/gen-vectors.sh`.
//!
//! Every input is drawn from a seeded generator (SHA-256 of the seed and a
//! block counter) and written out. The one input the crate does not let us
//! choose is the final-slot padding: `SphinxPacketBuilder` and `SURB::new` draw
//! it from `OsRng`. It is read back from the final hop's decrypted routing
//! information and written as `final_routing_padding`, so a rerun changes the
//! padding, MACs and betas, and nothing else.

use crate::ops::expanded_bytes;
use crate::proto::Failure;
use blake2::VarBlake2b;
use chacha::ChaCha;
use lioness::Lioness;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sphinx_packet::crypto::{compute_keyed_hmac, generate_pseudorandom_bytes, STREAM_CIPHER_INIT_VECTOR};
use sphinx_packet::header::delays::Delay;
use sphinx_packet::header::keys::KeyMaterial;
use sphinx_packet::header::HEADER_SIZE;
use sphinx_packet::payload::key::derive_payload_key;
use sphinx_packet::route::{Destination, DestinationAddressBytes, Node, NodeAddressBytes};
use sphinx_packet::version::X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION as V258;
use sphinx_packet::{ProcessedPacketData, SphinxPacket, SphinxPacketBuilder, SURBMaterial, SURB};
use std::fs;
use std::path::Path;
use x25519_dalek::{PublicKey, StaticSecret};

const REFERENCE: &str = "sphinx-packet 0.6.0 (crates.io), through bench/peers/nym-sphinx";
const PAYLOAD_SIZE: usize = 2065;
const ROUTING_SIZE: usize = 300;
const SLOT: usize = 60;

fn h(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Deterministic draws: SHA-256(seed || BE64(block)) blocks, used in order.
struct Draws {
    seed: [u8; 32],
    block: u64,
    buf: Vec<u8>,
    order: Vec<String>,
}

impl Draws {
    fn new(label: &str) -> Self {
        Draws { seed: Sha256::digest(label.as_bytes()).into(), block: 0, buf: Vec::new(), order: Vec::new() }
    }
    fn take(&mut self, what: &str, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            let mut hasher = Sha256::new();
            hasher.update(self.seed);
            hasher.update(self.block.to_be_bytes());
            self.buf.extend_from_slice(&hasher.finalize());
            self.block += 1;
        }
        self.order.push(format!("{what} ({n} bytes)"));
        self.buf.drain(..n).collect()
    }
    fn key(&mut self, what: &str) -> [u8; 32] {
        self.take(what, 32).try_into().expect("32 bytes")
    }
    fn describe(&self, label: &str) -> Value {
        json!({
            "algorithm": "SHA-256(seed || 8-byte big-endian block counter from 0), blocks concatenated and consumed in draw_order",
            "seed": h(&self.seed),
            "seed_derivation": format!("SHA-256(\"{label}\")"),
            "draw_order": self.order,
        })
    }
}

/// An IPv4 node address as SPHINX.md §1.3 lays it out: 0x04, port, IP, zeros.
fn ipv4_address(ip: [u8; 4], port: u16) -> [u8; 32] {
    let mut a = [0u8; 32];
    a[0] = 4;
    a[1..3].copy_from_slice(&port.to_be_bytes());
    a[3..7].copy_from_slice(&ip);
    a
}

struct Hop {
    role: &'static str,
    socket: String,
    address: [u8; 32],
    secret: [u8; 32],
    public: [u8; 32],
}

fn hops(d: &mut Draws, subnet: u8, roles: &[&'static str]) -> Vec<Hop> {
    roles
        .iter()
        .enumerate()
        .map(|(i, role)| {
            let secret = d.key(&format!("route[{i}].private_key"));
            let public = PublicKey::from(&StaticSecret::from(secret)).to_bytes();
            let ip = [10, 0, subnet, i as u8 + 1];
            Hop {
                role,
                socket: format!("10.0.{subnet}.{}:1789", i + 1),
                address: ipv4_address(ip, 1789),
                secret,
                public,
            }
        })
        .collect()
}

fn route_json(route: &[Hop]) -> Value {
    route
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({ "index": i, "role": n.role, "socket_address": n.socket, "address": h(&n.address),
                    "private_key": h(&n.secret), "public_key": h(&n.public) })
        })
        .collect()
}

fn crate_route(route: &[Hop]) -> Vec<Node> {
    route.iter().map(|n| Node::new(NodeAddressBytes::from_bytes(n.address), PublicKey::from(n.public))).collect()
}

fn fail(m: impl Into<String>) -> Failure {
    Failure { kind: "Internal".into(), message: m.into() }
}

/// The expanded secret's parts (SPHINX.md §2.2), for a JSON object.
fn parts(e: &[u8]) -> Value {
    json!({
        "expanded_shared_secret": h(e),
        "stream_cipher_key": h(&e[0..16]),
        "header_mac_key": h(&e[16..32]),
        "payload_key": h(&e[32..224]),
        "blinding_factor": h(&e[224..256]),
        "replay_tag": h(&e[256..288]),
    })
}

fn merge(a: Value, b: Value) -> Value {
    let (Value::Object(mut a), Value::Object(b)) = (a, b) else { return Value::Null };
    a.extend(b);
    Value::Object(a)
}

/// (beta || 0^60) XOR ρ(stream key): what a hop decrypts, with the crate's own AES-CTR.
fn decrypt_routing(stream_key: &[u8], beta: &[u8]) -> Vec<u8> {
    let key: [u8; 16] = stream_key.try_into().expect("16 bytes");
    let stream = generate_pseudorandom_bytes(&key, &STREAM_CIPHER_INIT_VECTOR, ROUTING_SIZE + SLOT);
    let mut r = beta.to_vec();
    r.extend_from_slice(&[0u8; SLOT]);
    r.iter_mut().zip(stream).for_each(|(x, k)| *x ^= k);
    r
}

struct Walk {
    hops: Vec<Value>,
    final_routing: Vec<u8>,
    recovered: Vec<u8>,
}

/// Runs a packet through every hop with the crate, recording what each hop sees.
fn walk(packet: &[u8], route: &[Hop]) -> Result<Walk, Failure> {
    let mut current = packet.to_vec();
    let mut out = Vec::new();
    for (i, node) in route.iter().enumerate() {
        let alpha: [u8; 32] = current[0..32].try_into().expect("alpha");
        let parsed = SphinxPacket::from_bytes(&current)?;
        let key = StaticSecret::from(node.secret);
        let expanded = parsed.header.compute_expanded_shared_secret(&key);
        let e = expanded_bytes(&expanded)?;
        let r = decrypt_routing(&e[0..16], &current[48..HEADER_SIZE]);
        let head = json!({
            "hop": i, "role": node.role, "input_alpha": h(&alpha),
            "shared_secret": h(&x25519_dalek::x25519(node.secret, alpha)),
        });
        let processed = parsed.process_with_expanded_secret(&expanded)?;
        let version = processed.version.value();
        let common = json!({
            "mac_valid": true, "decrypted_routing_info": h(&r), "flag": r[0], "version_bytes": h(&r[1..4]),
            "version": version,
        });
        match processed.data {
            ProcessedPacketData::ForwardHop { next_hop_packet, next_hop_address, delay } => {
                let next = next_hop_packet.to_bytes();
                let a = next_hop_address.as_bytes();
                let decoded = format!("{}.{}.{}.{}:{}", a[3], a[4], a[5], a[6], u16::from_be_bytes([a[1], a[2]]));
                out.push(merge(merge(merge(head, parts(&e)), common), json!({
                    "kind": "forward", "next_address": h(a), "next_address_decoded": decoded,
                    "delay_ns": delay.to_nanos(), "next_alpha": h(&next[0..32]), "next_mac": h(&next[32..48]),
                    "output_packet": h(&next),
                })));
                current = next;
            }
            ProcessedPacketData::FinalHop { destination, identifier, payload } => {
                let unwrapped = payload.as_bytes().to_vec();
                let recovered = payload.recover_plaintext()?;
                out.push(merge(merge(merge(head, parts(&e)), common), json!({
                    "kind": "final", "destination": h(destination.as_bytes_ref()), "identifier": h(&identifier),
                    "payload_after_unwrap": h(&unwrapped), "recovered_message": h(&recovered),
                })));
                return Ok(Walk { hops: out, final_routing: r, recovered });
            }
        }
    }
    Err(fail("the route has no final hop"))
}

/// The final slot's padding, read back from the final hop (SPHINX.md §3 step 3).
fn padding(final_routing: &[u8], n: usize) -> Vec<u8> {
    final_routing[52..ROUTING_SIZE - SLOT * (n - 1)].to_vec()
}

fn text(len: usize, words: &str) -> Vec<u8> {
    let mut t = words.as_bytes().to_vec();
    t.resize(len, b'.');
    t
}

const DELAYS_NS: [u64; 4] = [50_000_000, 20_000_000, 35_000_000, 10_000_000];
const ROLES: [&str; 4] = ["mix layer 1", "mix layer 2", "mix layer 3", "gateway (final hop)"];

fn forward() -> Result<Value, Failure> {
    let label = "mixnet-vectors/forward-3mix-gateway";
    let mut d = Draws::new(label);
    let route = hops(&mut d, 0, &ROLES);
    let destination = d.key("destination.address");
    let initial = d.key("initial_secret");
    let identifier = [0u8; 16];
    let message = text(100, "mixnet's own vector: a forward packet over 3 mixes and a gateway, made by sphinx-packet 0.6.0");
    let delays: Vec<Delay> = DELAYS_NS.iter().map(|&n| Delay::new_from_nanos(n)).collect();
    let secret = StaticSecret::from(initial);
    let dest = Destination::new(DestinationAddressBytes::from_bytes(destination), identifier);
    let packet = SphinxPacketBuilder::new()
        .with_version(V258)
        .with_payload_size(PAYLOAD_SIZE)
        .with_initial_secret(&secret)
        .build_packet(message.clone(), &crate_route(&route), &dest, &delays)?
        .to_bytes();
    let walked = walk(&packet, &route)?;
    if walked.recovered != message {
        return Err(fail("the crate did not recover the message"));
    }
    let keys = KeyMaterial::derive(&crate_route(&route), &secret);
    let per_hop: Result<Vec<Value>, Failure> = keys
        .expanded_shared_secrets
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let e = expanded_bytes(e)?;
            Ok(merge(json!({ "hop": i, "alpha": walked.hops[i]["input_alpha"], "shared_secret": walked.hops[i]["shared_secret"] }), parts(&e)))
        })
        .collect();
    let n = route.len();
    let payload_plaintext = walked.hops[n - 1]["payload_after_unwrap"].clone();
    Ok(json!({
        "name": "forward-3mix-gateway",
        "description": "Forward packet over 3 mix nodes + 1 gateway (4 Sphinx hops), 100-byte message, Nym's regular payload size, version 258, built and processed by the crate",
        "reference": REFERENCE,
        "packet_version": 258,
        "rng": d.describe(label),
        "inputs": {
            "route": route_json(&route),
            "destination": { "address": h(&destination), "identifier": h(&identifier) },
            "delays_ns": DELAYS_NS,
            "delays_note": "one delay per hop; delays_ns[i] is written into hop i's routing slot for i < n-1; the last is never encoded",
            "initial_secret": h(&initial),
            "final_routing_padding": h(&padding(&walked.final_routing, n)),
            "final_routing_padding_note": "drawn by the crate from OsRng (not injectable through its API); read back from the final hop",
            "message": h(&message),
            "message_len": message.len(),
            "payload_size": PAYLOAD_SIZE,
        },
        "sender_intermediate": {
            "alpha0": h(&packet[0..32]),
            "per_hop": per_hop?,
            "final_routing_info_plaintext": h(&walked.final_routing[0..ROUTING_SIZE - SLOT * (n - 1)]),
            "routing_layers_as_built": [{ "hop": 0, "beta": h(&packet[48..HEADER_SIZE]), "mac": h(&packet[32..48]) }],
            "payload_plaintext": payload_plaintext,
        },
        "outputs": {
            "header": h(&packet[0..HEADER_SIZE]),
            "payload": h(&packet[HEADER_SIZE..]),
            "packet": h(&packet),
            "packet_len": packet.len(),
            "hops": walked.hops,
            "final_recovered_message": h(&walked.recovered),
        },
    }))
}

fn surb_reply() -> Result<Value, Failure> {
    let label = "mixnet-vectors/surb-reply";
    let mut d = Draws::new(label);
    let roles = ["mix layer 1", "mix layer 2", "mix layer 3", "the SURB creator's gateway (final hop)"];
    let route = hops(&mut d, 2, &roles);
    let destination = d.key("destination.address");
    let initial = d.key("surb_initial_secret");
    let identifier = [0u8; 16];
    let reply = text(81, "mixnet's own vector: the reply, sent back in a SURB");
    let delays: Vec<Delay> = DELAYS_NS.iter().map(|&n| Delay::new_from_nanos(n)).collect();
    let dest = Destination::new(DestinationAddressBytes::from_bytes(destination), identifier);
    let material = SURBMaterial::new(crate_route(&route), delays, dest).with_version(V258);
    let surb = SURB::new(StaticSecret::from(initial), material)?;
    let surb_bytes = surb.to_bytes();
    let first_hop = surb.first_hop().as_bytes().to_vec();
    let (packet, to) = SURB::from_bytes(&surb_bytes)?.use_surb(&reply, PAYLOAD_SIZE)?;
    let packet = packet.to_bytes();
    let walked = walk(&packet, &route)?;
    if walked.recovered != reply {
        return Err(fail("the crate did not recover the reply"));
    }
    let n = route.len();
    let keys: Vec<String> = (0..n).map(|i| h(&surb_bytes[380 + 192 * i..380 + 192 * (i + 1)])).collect();
    let plaintext = walked.hops[n - 1]["payload_after_unwrap"].clone();
    Ok(json!({
        "name": "surb-reply",
        "description": "Version-258 SURB over a 4-hop reply route (3 mixes + the SURB creator's gateway), used by the replier for an 81-byte reply; made, used and processed by the crate",
        "reference": REFERENCE,
        "packet_version": 258,
        "rng": d.describe(label),
        "inputs": {
            "reply_route": route_json(&route),
            "destination": { "address": h(&destination), "identifier": h(&identifier) },
            "delays_ns": DELAYS_NS,
            "surb_initial_secret": h(&initial),
            "final_routing_padding": h(&padding(&walked.final_routing, n)),
            "final_routing_padding_note": "drawn by the crate from OsRng (not injectable through its API); read back from the final hop",
            "reply_message": h(&reply),
            "reply_message_len": reply.len(),
            "payload_size": PAYLOAD_SIZE,
        },
        "surb_creation": {
            "alpha0": h(&surb_bytes[0..32]),
            "surb_header": h(&surb_bytes[0..HEADER_SIZE]),
            "first_hop_address": h(&first_hop),
            "payload_keys": keys,
            "surb_bytes": h(&surb_bytes),
            "surb_len": surb_bytes.len(),
            "surb_layout": "header[0:348] || first_hop_address[348:380] || payload_key_i (192 bytes each, hop order)",
        },
        "reply_packet": {
            "payload_plaintext": plaintext,
            "packet": h(&packet),
            "packet_len": packet.len(),
            "send_to_first_hop": h(to.as_bytes()),
            "header_equals_surb_header": packet[0..HEADER_SIZE] == surb_bytes[0..HEADER_SIZE],
        },
        "outputs": { "hops": walked.hops, "final_recovered_reply": h(&walked.recovered) },
    }))
}

/// What the crate does with `packet` along the route: ("ok"|"payload_integrity_failure", hops, message) or an error at hop 0.
fn verdict(packet: &[u8], keys: &[[u8; 32]], first_key: [u8; 32]) -> Value {
    let mut current = packet.to_vec();
    let mut ok = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let key = StaticSecret::from(if i == 0 { first_key } else { *k });
        let step = SphinxPacket::from_bytes(&current).and_then(|p| {
            let e = p.header.compute_expanded_shared_secret(&key);
            let tag = *e.replay_tag();
            p.process_with_expanded_secret(&e).map(|r| (tag, r))
        });
        let (tag, processed) = match step {
            Ok(x) => x,
            Err(e) => {
                let f = Failure::from(e);
                let error = f.message.split_once(": ").map(|(_, m)| m.to_string()).unwrap_or(f.message);
                return json!({ "result": "error", "at_hop": i, "error_kind": f.kind, "error": error, "hops_processed_ok": ok });
            }
        };
        ok.push(json!({ "hop": i, "replay_tag": h(&tag) }));
        match processed.data {
            ProcessedPacketData::ForwardHop { next_hop_packet, .. } => current = next_hop_packet.to_bytes(),
            ProcessedPacketData::FinalHop { payload, .. } => {
                return match payload.recover_plaintext() {
                    Ok(m) => json!({ "result": "ok", "recovered_message": h(&m), "hops_processed_ok": ok }),
                    Err(e) => {
                        let f = Failure::from(e);
                        let error = f.message.split_once(": ").map(|(_, m)| m.to_string()).unwrap_or(f.message);
                        json!({ "result": "payload_integrity_failure", "at": "recover_plaintext",
                                "error_kind": f.kind, "error": error, "hops_processed_ok": ok })
                    }
                };
            }
        }
    }
    json!({ "result": "error", "error": "no final hop" })
}

fn tamper(forward: &Value) -> Result<Value, Failure> {
    let label = "mixnet-vectors/tamper-cases";
    let mut d = Draws::new(label);
    let base = hex::decode(forward["outputs"]["packet"].as_str().unwrap_or("")).map_err(|e| fail(e.to_string()))?;
    let keys: Vec<[u8; 32]> = forward["inputs"]["route"]
        .as_array()
        .ok_or_else(|| fail("route"))?
        .iter()
        .map(|n| hex::decode(n["private_key"].as_str().unwrap_or("")).ok().and_then(|b| b.try_into().ok()))
        .collect::<Option<_>>()
        .ok_or_else(|| fail("keys"))?;
    let flips: [(&str, &str, usize, u8); 10] = [
        ("flip bit 0 of header MAC (gamma) byte 0", "header.mac", 32, 0),
        ("flip bit 7 of header MAC (gamma) byte 15", "header.mac", 47, 7),
        ("flip bit 0 of routing info (beta) byte 0 (encrypted flag byte)", "header.beta", 48, 0),
        ("flip bit 3 of routing info (beta) byte 150", "header.beta", 198, 3),
        ("flip bit 7 of the last header byte (beta byte 299)", "header.beta", 347, 7),
        ("flip bit 0 of alpha byte 0", "header.alpha", 0, 0),
        ("flip bit 7 of alpha byte 31 (the most significant bit of the u-coordinate, masked by X25519)", "header.alpha", 31, 7),
        ("flip bit 0 of payload byte 0 (packet byte 348)", "payload", 348, 0),
        ("flip bit 5 of payload byte 1000", "payload", 1348, 5),
        ("flip bit 0 of the last payload byte", "payload", 2412, 0),
    ];
    let mut cases: Vec<Value> = flips
        .iter()
        .enumerate()
        .map(|(id, (description, region, offset, bit))| {
            let mut p = base.clone();
            p[*offset] ^= 1 << bit;
            json!({ "id": id, "description": description, "region": region, "byte_offset": offset, "bit": bit,
                    "xor_mask": format!("{:02x}", 1u8 << bit), "expected": verdict(&p, &keys, keys[0]), "packet": h(&p) })
        })
        .collect();
    cases.push(json!({ "id": 10, "description": "untampered packet processed by the wrong node (hop 1's private key used at hop 0)",
        "region": "whole packet", "expected": verdict(&base, &keys, keys[1]), "packet": h(&base) }));
    let short = &base[..HEADER_SIZE + 16];
    cases.push(json!({ "id": 11, "description": "packet truncated to 364 bytes (shorter than HEADER_SIZE + PAYLOAD_OVERHEAD_SIZE = 365)",
        "region": "length", "expected": verdict(short, &keys, keys[0]), "packet": h(short) }));
    // Case 12: one hop whose routing information decrypts to flag 0x03 under a valid MAC, made with
    // the crate's key derivation, AES-CTR and HMAC (its builder only writes flags 1 and 2).
    let node_secret = d.key("case 12 node_private_key");
    let node_public = PublicKey::from(&StaticSecret::from(node_secret)).to_bytes();
    let x = d.key("case 12 initial_secret");
    let garbage = d.take("case 12 routing_info tail", ROUTING_SIZE - 4);
    let payload = d.take("case 12 payload", 100);
    let node = Node::new(NodeAddressBytes::from_bytes([0u8; 32]), PublicKey::from(node_public));
    let material = KeyMaterial::derive(&[node], &StaticSecret::from(x));
    let e = expanded_bytes(&material.expanded_shared_secrets[0])?;
    let mut plain = vec![3u8, 0, 1, 2];
    plain.extend_from_slice(&garbage);
    let key: [u8; 16] = e[0..16].try_into().expect("16");
    let stream = generate_pseudorandom_bytes(&key, &STREAM_CIPHER_INIT_VECTOR, ROUTING_SIZE);
    let beta: Vec<u8> = plain.iter().zip(stream).map(|(p, k)| p ^ k).collect();
    let mac = compute_keyed_hmac::<Sha256>(&e[16..32], &beta).into_bytes();
    let mut packet = material.initial_shared_secret.as_bytes().to_vec();
    packet.extend_from_slice(&mac[..16]);
    packet.extend_from_slice(&beta);
    packet.extend_from_slice(&payload);
    let mut expected = verdict(&packet, &[node_secret], node_secret);
    expected["note"] = json!("MAC verification succeeds first; the error is raised when parsing the flag");
    cases.push(json!({ "id": 12, "description": "single-hop packet whose routing info decrypts to flag 0x03 (MAC is valid)",
        "region": "header.beta (plaintext flag)",
        "inputs": { "node_private_key": h(&node_secret), "node_public_key": h(&node_public), "initial_secret": h(&x),
                    "routing_info_plaintext": h(&plain), "payload_size": payload.len() },
        "route_private_keys_override": [h(&node_secret)], "expected": expected, "packet": h(&packet) }));
    Ok(json!({
        "name": "tamper-cases",
        "description": "Single-bit modifications of the packet in forward-3mix-gateway.json, and three packets made wrong on purpose; each expected outcome is what the crate does along the route. 'at_hop' is 0-based.",
        "reference": REFERENCE,
        "base_vector": "forward-3mix-gateway.json",
        "rng": d.describe(label),
        "route_private_keys": keys.iter().map(|k| h(k)).collect::<Vec<_>>(),
        "base_packet": h(&base),
        "cases": cases,
    }))
}

fn lioness_vector() -> Result<Value, Failure> {
    let label = "mixnet-vectors/lioness";
    let mut d = Draws::new(label);
    let key: [u8; 192] = d.take("key", 192).try_into().expect("192");
    let plaintext = d.take("plaintext", 512);
    let mut block = plaintext.clone();
    Lioness::<VarBlake2b, ChaCha>::new_raw(&key).encrypt(&mut block).map_err(|e| fail(e.to_string()))?;
    Ok(json!({
        "name": "lioness",
        "source": { "instantiation": "Lioness<VarBlake2b, ChaCha> of lioness 0.1.2, as sphinx-packet 0.6.0's payload code uses it", "reference": REFERENCE },
        "rng": d.describe(label),
        "key": h(&key),
        "key_split": { "k1_stream_32": h(&key[0..32]), "k2_hash_64": h(&key[32..96]), "k3_stream_32": h(&key[96..128]), "k4_hash_64": h(&key[128..192]) },
        "plaintext": h(&plaintext),
        "ciphertext": h(&block),
        "block_len": plaintext.len(),
    }))
}

fn kdf() -> Result<Value, Failure> {
    let label = "mixnet-vectors/kdf";
    let mut d = Draws::new(label);
    let sk1 = d.key("sk1");
    let sk2 = d.key("sk2");
    let pk1 = PublicKey::from(&StaticSecret::from(sk1)).to_bytes();
    let shared = x25519_dalek::x25519(sk2, pk1);
    // The crate's own expansion: a header whose alpha is pk1, processed with sk2.
    let mut header = [0u8; HEADER_SIZE];
    header[..32].copy_from_slice(&pk1);
    let expanded = sphinx_packet::header::SphinxHeader::from_bytes(&header)?.compute_expanded_shared_secret(&StaticSecret::from(sk2));
    let e = expanded_bytes(&expanded)?;
    let v259 = derive_payload_key(&e[32..48].try_into().expect("16"));
    let pairs: Vec<Value> = (0..3)
        .map(|i| {
            let sk = d.key(&format!("keypair {i}"));
            json!({ "private_key": h(&sk), "public_key": h(&PublicKey::from(&StaticSecret::from(sk)).to_bytes()) })
        })
        .collect();
    let parts_of = json!({ "stream_cipher_key": h(&e[0..16]), "header_integrity_hmac_key": h(&e[16..32]),
        "legacy_payload_key": h(&e[32..224]), "blinding_factor": h(&e[224..256]) });
    Ok(json!({
        "name": "kdf",
        "source": { "reference": REFERENCE, "how": "SphinxHeader::compute_expanded_shared_secret (HKDF-SHA256 to 288 bytes) and payload::key::derive_payload_key" },
        "rng": d.describe(label),
        "inputs": { "sk1": h(&sk1), "sk2": h(&sk2), "pk1": h(&pk1) },
        "expected_from_nym_test": parts_of,
        "expected_shared_secret_from_brief": h(&shared),
        "computed": {
            "shared_secret": h(&shared), "expanded_shared_secret": h(&e),
            "stream_cipher_key": h(&e[0..16]), "header_mac_key": h(&e[16..32]), "payload_key": h(&e[32..224]),
            "blinding_factor": h(&e[224..256]), "replay_tag": h(&e[256..288]),
            "payload_key_seed_v259": h(&e[32..48]), "payload_key_v259": h(&v259),
        },
        "notes": "expected_from_nym_test and expected_shared_secret_from_brief keep the field names of the shared vector file; here they are the crate's values for these inputs",
        "other_fixed_values": { "x25519_keypairs": pairs },
    }))
}

/// Writes every vector file into `dir` (created if needed).
pub fn write_all(dir: &Path) -> Result<(), Failure> {
    fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let fwd = forward()?;
    let tam = tamper(&fwd)?;
    let all = [
        ("forward-3mix-gateway.json", fwd),
        ("tamper-cases.json", tam),
        ("surb-reply.json", surb_reply()?),
        ("lioness-rs.json", lioness_vector()?),
        ("nym-kdf-constants.json", kdf()?),
    ];
    for (name, value) in all {
        let text = serde_json::to_string_pretty(&value).map_err(|e| fail(e.to_string()))?;
        fs::write(dir.join(name), format!("{text}\n")).map_err(|e| fail(e.to_string()))?;
        eprintln!("wrote {}", dir.join(name).display());
    }
    Ok(())
}
