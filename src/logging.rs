//! The JSON log line: one object per event, `{"timestamp":…,"level":…,<fields>,"target":…}`, written straight into
//! one buffer. It has the shape of tracing-subscriber's JSON format with `flatten_event(true)`, without that
//! format's per-event serializer and field-map machinery: the gateway writes a line per request, and on a small
//! request the generic formatter cost more than the rest of the logging put together.
//!
//! Span fields are not written: the gateway opens no spans of its own. [`Stderr`] writes each line with one system
//! call and no process-wide lock.

use std::fmt::{self, Write as _};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Standard error as the log's writer: each line (formatted whole by the layer) goes out in one `write(2)` on a
/// duplicate of the descriptor, without the process-wide lock of `std::io::Stderr` that request threads writing
/// at the same moment would queue on. A line up to `PIPE_BUF` (4096 bytes) into a pipe is written atomically, so
/// lines from different threads do not interleave.
#[derive(Debug)]
pub struct Stderr(std::fs::File);

impl Stderr {
    /// A writer on a duplicate of this process's standard error.
    pub fn new() -> std::io::Result<Self> {
        use std::os::fd::AsFd as _;
        Ok(Stderr(std::fs::File::from(
            std::io::stderr().as_fd().try_clone_to_owned()?,
        )))
    }
}

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = &'a std::fs::File;

    fn make_writer(&'a self) -> Self::Writer {
        &self.0
    }
}

/// The event formatter of the JSON log: pass it to `tracing_subscriber::fmt::layer().event_format(…)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(&self, _ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Line(String::with_capacity(384));
        line.0.push_str("{\"timestamp\":\"");
        SystemTime.format_time(&mut Writer::new(&mut line.0))?;
        line.0.push_str("\",\"level\":\"");
        line.0.push_str(meta.level().as_str());
        line.0.push('"');
        event.record(&mut line);
        line.0.push_str(",\"target\":");
        line.string(meta.target());
        line.0.push_str("}\n");
        writer.write_str(&line.0)
    }
}

/// A line being written.
struct Line(String);

impl Line {
    fn key(&mut self, field: &Field) {
        self.0.push(',');
        self.string(field.name());
        self.0.push(':');
    }

    fn string(&mut self, text: &str) {
        self.0.push('"');
        // Writing into a String cannot fail.
        let _ = Escaped(&mut self.0).write_str(text);
        self.0.push('"');
    }
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        self.string(value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        let _ = write!(self.0, "{value}");
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        let _ = write!(self.0, "{value}");
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.key(field);
        let _ = write!(self.0, "{value}");
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.key(field);
        let _ = write!(self.0, "{value}");
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field);
        if value.is_finite() {
            let _ = write!(self.0, "{value}");
        } else {
            // JSON has no NaN or infinity.
            self.string(&value.to_string());
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.0.push_str(if value { "true" } else { "false" });
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.key(field);
        self.0.push('"');
        let _ = write!(Escaped(&mut self.0), "{value}");
        self.0.push('"');
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.key(field);
        self.0.push('"');
        let _ = write!(Escaped(&mut self.0), "{value:?}");
        self.0.push('"');
    }
}

/// Writes text as the inside of a JSON string (RFC 8259 §7): quote, backslash and control characters escaped.
struct Escaped<'a>(&'a mut String);

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut rest = text;
        while let Some(at) = rest.find(|c: char| c == '"' || c == '\\' || c < ' ') {
            self.0.push_str(&rest[..at]);
            let c = rest[at..].chars().next().unwrap_or(' ');
            match c {
                '"' => self.0.push_str("\\\""),
                '\\' => self.0.push_str("\\\\"),
                '\n' => self.0.push_str("\\n"),
                '\r' => self.0.push_str("\\r"),
                '\t' => self.0.push_str("\\t"),
                c => write!(self.0, "\\u{:04x}", u32::from(c))?,
            }
            rest = &rest[at + c.len_utf8()..];
        }
        self.0.push_str(rest);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
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
        let subscriber = tracing_subscriber::fmt()
            .event_format(JsonLines)
            .with_writer(move || sink.clone())
            .with_max_level(tracing::Level::TRACE)
            .finish();
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
}
