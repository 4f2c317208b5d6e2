//! The ops, each a thin wrapper over sphinx-packet 0.6.0's public API.
//!
//! Inputs are handed to the crate as they are (no extra route-length or delay
//! checks here): where the crate panics on bad input, the caller's
//! `catch_unwind` reports it as `Panic`, which is what we want to observe.

use crate::proto::{array, bytes, hex_out, u64_decimal, Failure, LionessMode, RouteNode};
use blake2::VarBlake2b;
use chacha::ChaCha;
use hkdf::Hkdf;
use lioness::Lioness;
use serde_json::{json, Value};
use sha2::Sha256;
use sphinx_packet::constants::{
    EXPANDED_SHARED_SECRET_HKDF_INFO, EXPANDED_SHARED_SECRET_HKDF_SALT,
    EXPANDED_SHARED_SECRET_LENGTH,
};
use sphinx_packet::header::delays::Delay;
use sphinx_packet::header::shared_secret::ExpandedSharedSecret;
use sphinx_packet::header::{SphinxHeader, HEADER_SIZE};
use sphinx_packet::payload::Payload;
use sphinx_packet::route::{Destination, DestinationAddressBytes, Node, NodeAddressBytes};
use sphinx_packet::version::{Version, X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION};
use sphinx_packet::{ProcessedPacketData, SURBMaterial, SphinxPacket, SphinxPacketBuilder, SURB};
use x25519_dalek::{PublicKey, StaticSecret};

pub type OpResult = Result<Value, Failure>;

/// Version 258 unless the request names another one. The crate's own default
/// (`Version::default()`) is 259, which Nym clients do not send yet.
fn version_or_258(version: Option<u16>) -> Version {
    version.map_or(X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION, Version::new)
}

pub fn route(nodes: &[RouteNode]) -> Result<Vec<Node>, Failure> {
    nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let address = array::<32>(&format!("route[{i}].address"), &n.address)?;
            let key = array::<32>(&format!("route[{i}].publicKey"), &n.public_key)?;
            Ok(Node::new(
                NodeAddressBytes::from_bytes(address),
                PublicKey::from(key),
            ))
        })
        .collect()
}

pub fn delays(values: &[String]) -> Result<Vec<Delay>, Failure> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            Ok(Delay::new_from_nanos(u64_decimal(
                &format!("delaysNs[{i}]"),
                v,
            )?))
        })
        .collect()
}

pub fn destination(address: &str, identifier: &str) -> Result<Destination, Failure> {
    Ok(Destination::new(
        DestinationAddressBytes::from_bytes(array::<32>("destination", address)?),
        array::<16>("identifier", identifier)?,
    ))
}

fn initial_secret(value: &Option<String>) -> Result<Option<StaticSecret>, Failure> {
    value
        .as_deref()
        .map(|v| array::<32>("initialSecret", v).map(StaticSecret::from))
        .transpose()
}

#[allow(clippy::too_many_arguments)]
pub fn create(
    route_nodes: &[RouteNode],
    delays_ns: &[String],
    dest: &str,
    identifier: &str,
    message: &str,
    payload_size: usize,
    secret: &Option<String>,
    version: Option<u16>,
) -> OpResult {
    let route = route(route_nodes)?;
    let delays = delays(delays_ns)?;
    let destination = destination(dest, identifier)?;
    let message = bytes("message", message)?;
    let secret = initial_secret(secret)?;

    // 0.6.0's builder takes the initial secret directly (`with_initial_secret`);
    // without one it draws `StaticSecret::random()` itself.
    let mut builder = SphinxPacketBuilder::new()
        .with_version(version_or_258(version))
        .with_payload_size(payload_size);
    if let Some(secret) = secret.as_ref() {
        builder = builder.with_initial_secret(secret);
    }
    let packet = builder.build_packet(message, &route, &destination, &delays)?;
    Ok(json!({ "packet": hex_out(&packet.to_bytes()) }))
}

pub fn process(packet: &str, private_key: &str) -> OpResult {
    let packet = SphinxPacket::from_bytes(&bytes("packet", packet)?)?;
    let key = StaticSecret::from(array::<32>("privateKey", private_key)?);

    // The way a Nym node does it: derive the expanded secret first, read the
    // replay tag from it (to check the replay filter), then finish processing
    // with the same expanded secret.
    let expanded = packet.header.compute_expanded_shared_secret(&key);
    let replay_tag = *expanded.replay_tag();
    let processed = packet.process_with_expanded_secret(&expanded)?;
    let version = processed.version.value();

    Ok(match processed.data {
        ProcessedPacketData::ForwardHop {
            next_hop_packet,
            next_hop_address,
            delay,
        } => json!({
            "kind": "forward",
            "nextAddress": hex_out(next_hop_address.as_bytes()),
            "delayNs": delay.to_nanos().to_string(),
            "replayTag": hex_out(&replay_tag),
            "packet": hex_out(&next_hop_packet.to_bytes()),
            "version": version,
        }),
        ProcessedPacketData::FinalHop {
            destination,
            identifier,
            payload,
        } => {
            let payload_hex = hex_out(payload.as_bytes());
            let (message, recover_error, recover_message) = match payload.recover_plaintext() {
                Ok(m) => (hex_out(&m), Value::Null, Value::Null),
                Err(e) => {
                    let f = Failure::from(e);
                    (Value::Null, Value::String(f.kind), Value::String(f.message))
                }
            };
            json!({
                "kind": "final",
                "destination": hex_out(destination.as_bytes_ref()),
                "identifier": hex_out(&identifier),
                "replayTag": hex_out(&replay_tag),
                "payload": payload_hex,
                "message": message,
                "recoverError": recover_error,
                "recoverMessage": recover_message,
                "version": version,
            })
        }
    })
}

pub fn create_surb(
    route_nodes: &[RouteNode],
    delays_ns: &[String],
    dest: &str,
    identifier: &str,
    secret: &Option<String>,
    version: Option<u16>,
) -> OpResult {
    let route = route(route_nodes)?;
    let delays = delays(delays_ns)?;
    let destination = destination(dest, identifier)?;
    // `SURB::new` takes the initial secret by value; `construct_SURB` would
    // draw a random one, so we do the same when none is given.
    let secret = initial_secret(secret)?.unwrap_or_else(StaticSecret::random);
    let material =
        SURBMaterial::new(route, delays, destination).with_version(version_or_258(version));
    let surb = SURB::new(secret, material)?;
    Ok(json!({
        "surb": hex_out(&surb.to_bytes()),
        "firstHop": hex_out(surb.first_hop().as_bytes()),
    }))
}

pub fn use_surb(surb: &str, message: &str, payload_size: usize) -> OpResult {
    let surb = SURB::from_bytes(&bytes("surb", surb)?)?;
    let message = bytes("message", message)?;
    let (packet, first_hop) = surb.use_surb(&message, payload_size)?;
    Ok(json!({
        "packet": hex_out(&packet.to_bytes()),
        "firstHop": hex_out(first_hop.as_bytes()),
    }))
}

pub fn recover(payload: &str) -> OpResult {
    let message = Payload::from_bytes(&bytes("payload", payload)?)?.recover_plaintext()?;
    Ok(json!({ "message": hex_out(&message) }))
}

/// The crate's `expand_shared_secret` is `pub(crate)`, so this reproduces it
/// with the same hkdf/sha2 versions and the crate's own public constants.
/// `hop_keys` below gets the crate-computed value for comparison.
pub fn expand(shared_secret: &str) -> OpResult {
    let secret = array::<32>("sharedSecret", shared_secret)?;
    let hkdf = Hkdf::<Sha256>::new(Some(EXPANDED_SHARED_SECRET_HKDF_SALT), &secret);
    let mut out = [0u8; EXPANDED_SHARED_SECRET_LENGTH];
    hkdf.expand(EXPANDED_SHARED_SECRET_HKDF_INFO, &mut out)
        .map_err(|e| Failure::bad_request(format!("hkdf: {e}")))?;
    Ok(json!({ "expanded": hex_out(&out), "source": "reproduced" }))
}

/// What a hop derives from (its private key, alpha), computed by the crate:
/// `SphinxHeader::compute_expanded_shared_secret` is public, but the parts of
/// `ExpandedSharedSecret` other than `replay_tag()` are `pub(crate)`; its
/// derived `Debug` prints all 288 bytes, so we read them from there and
/// cross-check the tail against `replay_tag()`.
pub fn hop_keys(private_key: &str, alpha: &str) -> OpResult {
    let key_bytes = array::<32>("privateKey", private_key)?;
    let alpha = array::<32>("alpha", alpha)?;
    // Only alpha matters for key derivation; the rest of the header is zeros.
    let mut header_bytes = [0u8; HEADER_SIZE];
    header_bytes[..32].copy_from_slice(&alpha);
    let header = SphinxHeader::from_bytes(&header_bytes)?;
    let expanded = header.compute_expanded_shared_secret(&StaticSecret::from(key_bytes));
    let full = expanded_bytes(&expanded)?;
    Ok(json!({
        "sharedSecret": hex_out(&x25519_dalek::x25519(key_bytes, alpha)),
        "expanded": hex_out(&full),
        "replayTag": hex_out(expanded.replay_tag()),
        "source": "crate",
    }))
}

pub(crate) fn expanded_bytes(expanded: &ExpandedSharedSecret) -> Result<Vec<u8>, Failure> {
    let internal = |m: &str| Failure {
        kind: "Internal".into(),
        message: format!("reading ExpandedSharedSecret via Debug: {m}"),
    };
    let text = format!("{expanded:?}"); // "ExpandedSharedSecret([1, 2, ...])"
    let inner = text
        .split_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(inner, _)| inner)
        .ok_or_else(|| internal("unexpected format"))?;
    let out = inner
        .split(',')
        .map(|s| s.trim().parse::<u8>())
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|e| internal(&e.to_string()))?;
    if out.len() != EXPANDED_SHARED_SECRET_LENGTH || out[256..] != expanded.replay_tag()[..] {
        return Err(internal("length or replay tag mismatch"));
    }
    Ok(out)
}

pub fn x25519(scalar: &str, point: &str) -> OpResult {
    let out = x25519_dalek::x25519(array::<32>("scalar", scalar)?, array::<32>("point", point)?);
    Ok(json!({ "out": hex_out(&out) }))
}

/// The same instantiation as sphinx-packet 0.6.0's payload code.
pub fn lioness(mode: LionessMode, key: &str, block: &str) -> OpResult {
    let key = array::<192>("key", key)?;
    let mut block = bytes("block", block)?;
    let cipher = Lioness::<VarBlake2b, ChaCha>::new_raw(&key);
    let result = match mode {
        LionessMode::Encrypt => cipher.encrypt(&mut block),
        LionessMode::Decrypt => cipher.decrypt(&mut block),
    };
    result.map_err(|e| Failure {
        kind: format!("{e:?}"),
        message: e.to_string(),
    })?;
    Ok(json!({ "block": hex_out(&block) }))
}
