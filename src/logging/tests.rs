use super::*;
use proptest::prelude::*;
use serde_json::Value;
use std::io;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The lines `emit` logs, each parsed as JSON.
fn lines(emit: impl FnOnce()) -> Vec<Value> {
    let buffer = Buffer::default();
    let sink = buffer.clone();
    use tracing_subscriber::layer::SubscriberExt as _;
    let subscriber = tracing_subscriber::registry().with(json(move || sink.clone()));
    tracing::subscriber::with_default(subscriber, emit);
    let bytes = buffer.0.lock().expect("buffer").clone();
    String::from_utf8(bytes)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn writes_one_flat_object_per_event() {
    let peer: std::net::SocketAddr = "127.0.0.1:4000".parse().expect("addr");
    let got = lines(|| {
        tracing::info!(request_id = "abc", %peer, status = 200u16, micros = 17u64, ok = true, delta = -3i64, "request");
    });
    assert_eq!(got.len(), 1);
    let line = &got[0];
    let keys: Vec<&str> = line.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "timestamp",
            "level",
            "message",
            "request_id",
            "peer",
            "status",
            "micros",
            "ok",
            "delta",
            "target"
        ]
    );
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["message"], "request");
    assert_eq!(line["request_id"], "abc");
    assert_eq!(line["peer"], "127.0.0.1:4000");
    assert_eq!(line["status"], 200);
    assert_eq!(line["micros"], 17);
    assert_eq!(line["ok"], true);
    assert_eq!(line["delta"], -3);
    assert_eq!(line["target"], module_path!());
    let stamp = line["timestamp"].as_str().expect("timestamp");
    // `2026-11-24T20:01:40.146224Z`: UTC, six digits of microseconds.
    assert!(
        stamp.len() == 27 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T' && stamp.as_bytes()[19] == b'.',
        "{stamp}"
    );
}

#[test]
fn an_event_inside_a_request_names_it_and_one_outside_has_no_span() {
    let got = lines(|| {
        let span = tracing::info_span!("request", request_id = "r-1", tenant = "acme");
        span.in_scope(|| tracing::warn!(member = "m", "a team member matches no user"));
        tracing::info!(message = "request", request_id = "r-1");
    });
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["span"]["name"], "request");
    assert_eq!(got[0]["span"]["request_id"], "r-1");
    assert_eq!(got[0]["span"]["tenant"], "acme");
    assert_eq!(got[0]["member"], "m");
    assert!(got[1].get("span").is_none(), "{}", got[1]);
}

#[test]
fn escapes_what_json_requires() {
    let nasty = "quote \" backslash \\ newline \n tab \t bell \u{7} nul \0 é 😀";
    let got = lines(|| tracing::warn!(text = nasty, debug = ?nasty, error = %nasty, "x\ny"));
    assert_eq!(got[0]["text"], nasty);
    assert_eq!(got[0]["debug"], format!("{nasty:?}"));
    assert_eq!(got[0]["error"], nasty);
    assert_eq!(got[0]["message"], "x\ny");
}

#[test]
fn non_finite_numbers_stay_valid_json() {
    let got = lines(|| tracing::info!(a = f64::NAN, b = 1.5f64, "n"));
    assert_eq!(got[0]["a"], Value::Null);
    assert_eq!(got[0]["b"], 1.5);
}

proptest! {
    #[test]
    fn any_text_round_trips(text in any::<String>()) {
        let got = lines(|| tracing::info!(field = text.as_str(), "{}", text));
        prop_assert_eq!(got[0]["field"].as_str(), Some(text.as_str()));
        prop_assert_eq!(got[0]["message"].as_str(), Some(text.as_str()));
    }
}
