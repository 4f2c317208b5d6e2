//! Wire protocol: request shapes, the failure type, and hex/decimal decoding.
//!
//! Requests are deserialised with serde, but every byte string stays a `String`
//! until an op decodes it here, so a bad hex field becomes a `BadRequest`
//! naming the field instead of a generic serde message.

use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", deny_unknown_fields)]
pub enum Request {
    #[serde(rename_all = "camelCase")]
    Create {
        route: Vec<RouteNode>,
        delays_ns: Vec<String>,
        destination: String,
        identifier: String,
        message: String,
        payload_size: usize,
        initial_secret: Option<String>,
        /// Defaults to 258. Other values are passed to the crate unchanged.
        version: Option<u16>,
    },
    #[serde(rename_all = "camelCase")]
    Process {
        packet: String,
        private_key: String,
    },
    #[serde(rename_all = "camelCase")]
    CreateSurb {
        route: Vec<RouteNode>,
        delays_ns: Vec<String>,
        destination: String,
        identifier: String,
        initial_secret: Option<String>,
        version: Option<u16>,
    },
    #[serde(rename_all = "camelCase")]
    UseSurb {
        surb: String,
        message: String,
        payload_size: usize,
    },
    Recover {
        payload: String,
    },
    #[serde(rename_all = "camelCase")]
    Expand {
        shared_secret: String,
    },
    #[serde(rename_all = "camelCase")]
    HopKeys {
        private_key: String,
        alpha: String,
    },
    X25519 {
        scalar: String,
        point: String,
    },
    Lioness {
        mode: LionessMode,
        key: String,
        block: String,
    },
    #[serde(rename_all = "camelCase")]
    Bench {
        what: BenchWhat,
        iterations: usize,
        payload_size: usize,
        hops: usize,
    },
    Version {},
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteNode {
    pub address: String,
    pub public_key: String,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
pub enum LionessMode {
    Encrypt,
    Decrypt,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
pub enum BenchWhat {
    Create,
    Process,
}

/// Why a request failed. `kind` is what goes into the response's `error` field.
pub struct Failure {
    pub kind: String,
    pub message: String,
}

impl Failure {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Failure {
            kind: "BadRequest".into(),
            message: message.into(),
        }
    }

    pub fn to_json(&self, id: &Value) -> Value {
        json!({ "id": id, "ok": false, "error": self.kind, "message": self.message })
    }
}

/// A crate error keeps the crate's own `ErrorKind` name (its Debug form) and
/// the crate's Display text, so tests can compare both with other peers.
impl From<sphinx_packet::Error> for Failure {
    fn from(err: sphinx_packet::Error) -> Self {
        Failure {
            kind: format!("{:?}", err.kind()),
            message: err.to_string(),
        }
    }
}

pub fn bytes(field: &str, value: &str) -> Result<Vec<u8>, Failure> {
    // Only lowercase hex is part of the protocol; reject the rest so a TS-side
    // encoding bug is caught instead of silently accepted.
    if value.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(Failure::bad_request(format!(
            "{field}: hex must be lowercase"
        )));
    }
    hex::decode(value).map_err(|e| Failure::bad_request(format!("{field}: invalid hex: {e}")))
}

pub fn array<const N: usize>(field: &str, value: &str) -> Result<[u8; N], Failure> {
    let raw = bytes(field, value)?;
    raw.as_slice().try_into().map_err(|_| {
        Failure::bad_request(format!("{field}: expected {N} bytes, got {}", raw.len()))
    })
}

pub fn u64_decimal(field: &str, value: &str) -> Result<u64, Failure> {
    // `u64::from_str` accepts a leading '+'; the protocol does not.
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Failure::bad_request(format!(
            "{field}: expected a decimal u64 string, got {value:?}"
        )));
    }
    value
        .parse()
        .map_err(|e| Failure::bad_request(format!("{field}: {e}")))
}

pub fn hex_out(data: &[u8]) -> Value {
    Value::String(hex::encode(data))
}
