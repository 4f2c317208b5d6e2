#!/usr/bin/env bash
# Regenerates vectors/*.json, the project's own Sphinx test vectors, with Nym's sphinx-packet 0.6.0
# (bench/peers/nym-sphinx, `--vectors` mode; the crate is the authority). Needs cargo.
# The crate draws the final-slot padding from OsRng, so a rerun changes the padding, MACs and betas
# (and the packets that contain them); every other value is fixed by the seeds in the files.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-vectors}"
cargo build --release --locked --quiet --manifest-path bench/peers/nym-sphinx/Cargo.toml
bench/peers/nym-sphinx/target/release/nym-sphinx-peer --vectors "$out"
