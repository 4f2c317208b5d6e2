//! In-process timing of the crate, so the numbers exclude the JSON/pipe cost.

use crate::proto::{BenchWhat, Failure};
use serde_json::{json, Value};
use sphinx_packet::constants::MAX_PATH_LENGTH;
use sphinx_packet::header::delays::Delay;
use sphinx_packet::route::{Destination, DestinationAddressBytes, Node, NodeAddressBytes};
use sphinx_packet::version::X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION;
use sphinx_packet::{SphinxPacket, SphinxPacketBuilder};
use std::hint::black_box;
use std::time::Instant;
use x25519_dalek::{PublicKey, StaticSecret};

const PAYLOAD_OVERHEAD: usize = 17;

struct Setup {
    keys: Vec<StaticSecret>,
    route: Vec<Node>,
    delays: Vec<Delay>,
    destination: Destination,
    message: Vec<u8>,
}

/// A fresh random route; key generation is kept out of the timed section.
fn setup(hops: usize, payload_size: usize) -> Setup {
    let keys: Vec<StaticSecret> = (0..hops).map(|_| StaticSecret::random()).collect();
    let route = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            Node::new(
                NodeAddressBytes::from_bytes([i as u8 + 1; 32]),
                PublicKey::from(k),
            )
        })
        .collect();
    Setup {
        keys,
        route,
        delays: (0..hops)
            .map(|i| Delay::new_from_millis(10 * (i as u64 + 1)))
            .collect(),
        destination: Destination::new(DestinationAddressBytes::from_bytes([0xd0; 32]), [0; 16]),
        // a full payload, as a Nym client sends most of the time
        message: vec![0x42; payload_size - PAYLOAD_OVERHEAD],
    }
}

fn build(s: &Setup, payload_size: usize) -> Result<SphinxPacket, Failure> {
    // The builder draws the initial secret itself: that is part of creating a packet.
    Ok(SphinxPacketBuilder::new()
        .with_version(X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION)
        .with_payload_size(payload_size)
        .build_packet(&s.message, &s.route, &s.destination, &s.delays)?)
}

pub fn run(
    what: BenchWhat,
    iterations: usize,
    payload_size: usize,
    hops: usize,
) -> Result<Value, Failure> {
    if iterations == 0 || iterations > 1_000_000 {
        return Err(Failure::bad_request("iterations must be in 1..=1000000"));
    }
    if !(1..=MAX_PATH_LENGTH).contains(&hops) {
        return Err(Failure::bad_request(format!(
            "hops must be in 1..={MAX_PATH_LENGTH}"
        )));
    }
    if payload_size <= 32 {
        return Err(Failure::bad_request(
            "payloadSize must be > 32 (Lioness block)",
        ));
    }
    let warmup = (iterations / 10).clamp(3, 50);
    let mut samples = Vec::with_capacity(iterations);

    match what {
        BenchWhat::Create => {
            // Packet creation ends with the bytes to send, so to_bytes is timed too.
            for i in 0..warmup + iterations {
                let s = setup(hops, payload_size);
                let start = Instant::now();
                let bytes = build(&s, payload_size)?.to_bytes();
                let elapsed = start.elapsed();
                black_box(bytes);
                if i >= warmup {
                    samples.push(elapsed.as_nanos() as u64);
                }
            }
        }
        BenchWhat::Process => {
            // One packet is enough: processing cost does not depend on its contents.
            let s = setup(hops, payload_size);
            let wire = build(&s, payload_size)?.to_bytes();
            for i in 0..warmup + iterations {
                let start = Instant::now();
                let processed = SphinxPacket::from_bytes(black_box(&wire))?.process(&s.keys[0])?;
                let elapsed = start.elapsed();
                black_box(processed);
                if i >= warmup {
                    samples.push(elapsed.as_nanos() as u64);
                }
            }
        }
    }

    samples.sort_unstable();
    let n = samples.len();
    let median = if n % 2 == 1 {
        samples[n / 2] as f64
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) as f64 / 2.0
    };
    let mean = samples.iter().sum::<u64>() as f64 / n as f64;
    Ok(json!({
        "iterations": n,
        "medianNs": median,
        "meanNs": mean,
        "minNs": samples[0],
    }))
}
