//! nym-sphinx-peer: Nym's `sphinx-packet` 0.6.0 behind a JSON-lines protocol.
//!
//! One JSON request per stdin line, one JSON response per stdout line (flushed
//! each time), until EOF. See README.md for the ops. Every request runs under
//! `catch_unwind`, so a crate panic on hostile input is reported as
//! `{"error":"Panic"}` and the process keeps serving.

mod bench;
mod ops;
mod proto;
mod vectors;

use proto::{Failure, Request};
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::io::{self, BufRead, Write};
use std::panic::{self, AssertUnwindSafe};

thread_local! {
    /// Message and location of the last panic, recorded by our panic hook.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn dispatch(request: Request) -> Result<Value, Failure> {
    match request {
        Request::Create {
            route,
            delays_ns,
            destination,
            identifier,
            message,
            payload_size,
            initial_secret,
            version,
        } => ops::create(
            &route,
            &delays_ns,
            &destination,
            &identifier,
            &message,
            payload_size,
            &initial_secret,
            version,
        ),
        Request::Process {
            packet,
            private_key,
        } => ops::process(&packet, &private_key),
        Request::CreateSurb {
            route,
            delays_ns,
            destination,
            identifier,
            initial_secret,
            version,
        } => ops::create_surb(
            &route,
            &delays_ns,
            &destination,
            &identifier,
            &initial_secret,
            version,
        ),
        Request::UseSurb {
            surb,
            message,
            payload_size,
        } => ops::use_surb(&surb, &message, payload_size),
        Request::Recover { payload } => ops::recover(&payload),
        Request::Expand { shared_secret } => ops::expand(&shared_secret),
        Request::HopKeys { private_key, alpha } => ops::hop_keys(&private_key, &alpha),
        Request::X25519 { scalar, point } => ops::x25519(&scalar, &point),
        Request::Lioness { mode, key, block } => ops::lioness(mode, &key, &block),
        Request::Bench {
            what,
            iterations,
            payload_size,
            hops,
        } => bench::run(what, iterations, payload_size, hops),
        Request::Version {} => Ok(json!({
            "crate": "sphinx-packet 0.6.0",
            "version": sphinx_packet::version::X25519_WITH_EXPLICIT_PAYLOAD_KEYS_VERSION.value(),
        })),
    }
}

/// Handles one line; always returns a response object carrying the request id.
fn handle_line(line: &str) -> Value {
    let mut object: Map<String, Value> = match serde_json::from_str(line) {
        Ok(Value::Object(o)) => o,
        Ok(_) => {
            return Failure::bad_request("request must be a JSON object").to_json(&Value::Null)
        }
        Err(e) => return Failure::bad_request(format!("invalid JSON: {e}")).to_json(&Value::Null),
    };
    // `id` is the envelope, not part of the op's fields.
    let id = object.remove("id").unwrap_or(Value::Null);
    let request: Request = match serde_json::from_value(Value::Object(object)) {
        Ok(r) => r,
        Err(e) => return Failure::bad_request(e.to_string()).to_json(&id),
    };

    let outcome =
        panic::catch_unwind(AssertUnwindSafe(|| dispatch(request))).unwrap_or_else(|_| {
            let message = LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| "panic".into());
            Err(Failure {
                kind: "Panic".into(),
                message,
            })
        });

    match outcome {
        Ok(Value::Object(mut fields)) => {
            fields.insert("id".into(), id);
            fields.insert("ok".into(), Value::Bool(true));
            Value::Object(fields)
        }
        Ok(other) => json!({ "id": id, "ok": true, "value": other }),
        Err(failure) => failure.to_json(&id),
    }
}

fn main() {
    // `--vectors DIR`: write the project's own test vectors (vectors.rs) and exit.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--vectors") {
        let Some(dir) = args.get(2) else {
            eprintln!("usage: nym-sphinx-peer --vectors DIR");
            std::process::exit(2);
        };
        if let Err(e) = vectors::write_all(std::path::Path::new(dir)) {
            eprintln!("nym-sphinx-peer: {}: {}", e.kind, e.message);
            std::process::exit(1);
        }
        return;
    }
    // Record panics instead of printing them: they are expected (hostile
    // inputs) and are returned to the caller as `Panic` responses.
    panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".into());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{text}{location}")));
    }));

    let stdin = io::stdin();
    let mut input = stdin.lock();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut raw = Vec::new();
    loop {
        raw.clear();
        // Raw bytes, not `lines()`: a non-UTF-8 line must become a BadRequest,
        // not end the session.
        match input.read_until(b'\n', &mut raw) {
            Ok(0) | Err(_) => break, // EOF (or a broken stdin): stop serving
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&raw);
        if line.trim().is_empty() {
            continue;
        }
        let response = handle_line(&line);
        // A closed stdout means the driver is gone; exit quietly.
        if writeln!(out, "{response}")
            .and_then(|_| out.flush())
            .is_err()
        {
            break;
        }
    }
}
