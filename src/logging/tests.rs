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
    let subscriber = tracing_subscriber::registry().with(JsonLayer::new(move || sink.clone()));
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
    assert!(
        stamp.len() >= 20 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
        "{stamp}"
    );
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
fn field_names_are_escaped_where_json_requires_whichever_callsite_came_before() {
    // Two callsites taking turns on one thread: what is known of one's names never decides the other's.
    let got = lines(|| {
        for _ in 0..2 {
            tracing::info!(plain = 1u8, "a");
            tracing::info!("quote\"d" = 2u8, "tab\tbed" = 3u8, plain = 4u8, "b");
        }
    });
    assert_eq!(got.len(), 4);
    for pair in got.chunks(2) {
        assert_eq!(pair[0]["plain"], 1);
        assert_eq!(pair[1]["quote\"d"], 2);
        assert_eq!(pair[1]["tab\tbed"], 3);
        assert_eq!(pair[1]["plain"], 4);
    }
}

#[test]
fn non_finite_numbers_stay_valid_json() {
    let got = lines(|| tracing::info!(a = f64::NAN, b = 1.5f64, "n"));
    assert_eq!(got[0]["a"], "NaN");
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

mod sink {
    use super::super::{FLUSH_BYTES, Stderr};
    use std::io::Write as _;
    use std::time::{Duration, Instant};
    use tracing_subscriber::fmt::MakeWriter as _;

    /// A writer on a fresh file, and the file's path.
    fn on_file(every: Duration) -> (Stderr, super::super::FlushGuard, tempfile::TempPath) {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        let (out, path) = file.into_parts();
        let (stderr, guard) = Stderr::to(out, every).expect("writer");
        (stderr, guard, path)
    }

    fn line(i: usize) -> String {
        format!("{{\"line\":{i}}}\n")
    }

    fn written(path: &std::path::Path) -> String {
        std::fs::read_to_string(path).expect("read")
    }

    #[test]
    fn lines_wait_for_the_interval_then_go_out_together_in_order() {
        let (stderr, _guard, path) = on_file(Duration::from_millis(200));
        for i in 0..10 {
            stderr.make_writer().write_all(line(i).as_bytes()).expect("write");
        }
        assert_eq!(written(&path), "", "held for the interval");
        let all: String = (0..10).map(line).collect();
        let started = Instant::now();
        while written(&path) != all {
            assert!(started.elapsed() < Duration::from_secs(5), "{:?}", written(&path));
            std::thread::sleep(Duration::from_millis(20));
        }
        // The flush thread goes back to waiting, and a later line is written in its turn too.
        stderr.make_writer().write_all(line(10).as_bytes()).expect("write");
        let all: String = (0..11).map(line).collect();
        while written(&path) != all {
            assert!(started.elapsed() < Duration::from_secs(5), "{:?}", written(&path));
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_full_buffer_is_written_at_once_and_the_guard_writes_the_rest() {
        let (stderr, guard, path) = on_file(Duration::from_secs(600));
        let mut all = String::new();
        let mut i = 0;
        while all.len() < FLUSH_BYTES {
            all.push_str(&line(i));
            stderr.make_writer().write_all(line(i).as_bytes()).expect("write");
            i += 1;
        }
        assert_eq!(written(&path), all, "written once the buffer held FLUSH_BYTES");
        let flushed = all.clone();
        for j in i..i + 5 {
            all.push_str(&line(j));
            stderr.make_writer().write_all(line(j).as_bytes()).expect("write");
        }
        assert_eq!(written(&path), flushed, "the lines after wait");
        drop(guard);
        assert_eq!(written(&path), all, "the guard writes what was held");
        drop(stderr);
    }

    #[test]
    fn with_no_interval_each_line_is_written_at_once() {
        let (stderr, _guard, path) = on_file(Duration::ZERO);
        stderr.make_writer().write_all(line(1).as_bytes()).expect("write");
        assert_eq!(written(&path), line(1));
    }

    #[test]
    fn lines_from_many_threads_stay_whole_and_none_is_lost() {
        let (stderr, guard, path) = on_file(Duration::from_millis(1));
        std::thread::scope(|scope| {
            for t in 0..4 {
                let stderr = &stderr;
                scope.spawn(move || {
                    for i in 0..2_000 {
                        let text = format!("{{\"thread\":{t},\"i\":{i},\"pad\":\"{}\"}}\n", "x".repeat(i % 300));
                        stderr.make_writer().write_all(text.as_bytes()).expect("write");
                    }
                });
            }
        });
        drop(guard);
        let text = written(&path);
        let mut next = [0; 4];
        for line in text.lines() {
            let value: serde_json::Value = serde_json::from_str(line).expect("a whole line");
            let t = value["thread"].as_u64().expect("thread") as usize;
            assert_eq!(value["i"], next[t], "each thread's lines in order");
            next[t] += 1;
        }
        assert_eq!(next, [2_000; 4]);
    }
}
