//! The JSON log line: one object per event, `{"timestamp":…,"level":…,<fields>,"target":…}`, written straight into
//! one buffer. It has the shape of tracing-subscriber's JSON format with `flatten_event(true)`, without that
//! format's per-event serializer and field-map machinery: the gateway writes a line per request, and on a small
//! request the generic formatter cost more than the rest of the logging put together. For the same reason the
//! line is written without `core::fmt` wherever the value allows: the timestamp from a per-second cache
//! (see `clock`), integers with `itoa`, strings copied a clean run at a time between the characters JSON escapes,
//! into a buffer each thread keeps.
//!
//! Span fields are not written: the gateway opens no spans of its own. [`Stderr`] writes each line with one system
//! call and no process-wide lock.

mod clock;

use crate::json::{PLAIN, is_plain};
use std::cell::RefCell;
use std::fmt::{self, Write as _};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Writer;
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

/// The most a thread's line buffer keeps between events.
const KEPT_CAPACITY: usize = 16 * 1024;

thread_local! {
    /// The line being written on this thread, kept between events so that a line costs no allocation.
    static LINE: RefCell<String> = RefCell::new(String::with_capacity(512));
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(&self, _ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        LINE.with(|line| match line.try_borrow_mut() {
            Ok(mut buffer) => {
                buffer.clear();
                let written = write_line(&mut buffer, event, &mut writer);
                // One outsized line (a long error chain) is not kept for the thread's lifetime.
                if buffer.capacity() > KEPT_CAPACITY {
                    *buffer = String::with_capacity(512);
                }
                written
            }
            // A field whose `Debug` logs an event of its own: that event gets a buffer of its own.
            Err(_) => write_line(&mut String::with_capacity(512), event, &mut writer),
        })
    }
}

/// Format `event` into `buffer` (empty) and hand the line to `writer`.
fn write_line(buffer: &mut String, event: &Event<'_>, writer: &mut Writer<'_>) -> fmt::Result {
    let meta = event.metadata();
    let mut line = Line(buffer);
    line.0.push_str("{\"timestamp\":\"");
    clock::push_now(line.0);
    line.0.push_str("\",\"level\":\"");
    line.0.push_str(meta.level().as_str());
    line.0.push('"');
    event.record(&mut line);
    line.0.push_str(",\"target\":");
    line.string(meta.target());
    line.0.push_str("}\n");
    writer.write_str(line.0)
}

/// A line being written.
struct Line<'a>(&'a mut String);

impl Line<'_> {
    fn key(&mut self, field: &Field) {
        let name = field.name();
        // A field name is almost always a plain identifier.
        if is_plain(name.as_bytes()) {
            self.0.push_str(",\"");
            self.0.push_str(name);
            self.0.push_str("\":");
        } else {
            self.0.push(',');
            self.string(name);
            self.0.push(':');
        }
    }

    fn string(&mut self, text: &str) {
        self.0.push('"');
        escape(self.0, text);
        self.0.push('"');
    }

    fn integer(&mut self, field: &Field, value: impl itoa::Integer) {
        self.key(field);
        self.0.push_str(itoa::Buffer::new().format(value));
    }

    /// A value only `core::fmt` can write, as a JSON string.
    fn formatted(&mut self, field: &Field, args: fmt::Arguments<'_>) {
        self.key(field);
        self.0.push('"');
        // Writing into a String cannot fail.
        let _ = Escaped(self.0).write_fmt(args);
        self.0.push('"');
    }
}

impl Visit for Line<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        self.string(value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.integer(field, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.integer(field, value);
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.integer(field, value);
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.integer(field, value);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if value.is_finite() {
            self.key(field);
            let _ = write!(Escaped(self.0), "{value}");
        } else {
            // JSON has no NaN or infinity.
            self.formatted(field, format_args!("{value}"));
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.0.push_str(if value { "true" } else { "false" });
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.formatted(field, format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.formatted(field, format_args!("{value:?}"));
    }
}

/// Append `text` as the inside of a JSON string (RFC 8259 §7): quote, backslash and control characters escaped,
/// everything else copied as it is, a clean run at a time. Almost every string logged has nothing to escape, so
/// that is checked first.
fn escape(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    if is_plain(bytes) {
        out.push_str(text);
        return;
    }
    let mut clean = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        if PLAIN[usize::from(byte)] {
            continue;
        }
        // Every byte escaped is ASCII, so `clean` and `at` are character boundaries.
        out.push_str(&text[clean..at]);
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            control => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(control >> 4)]));
                out.push(char::from(HEX[usize::from(control & 0xf)]));
            }
        }
        clean = at + 1;
    }
    out.push_str(&text[clean..]);
}

/// `core::fmt` output written as the inside of a JSON string.
struct Escaped<'a>(&'a mut String);

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        escape(self.0, text);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
