//! The JSON log line: one object per event, `{"timestamp":…,"level":…,<fields>,"target":…}`, written straight into
//! one buffer. It has the shape of tracing-subscriber's JSON format with `flatten_event(true)`, without that
//! format's per-event serializer and field-map machinery: the gateway writes a line per request, and on a small
//! request the generic formatter cost more than the rest of the logging put together. For the same reason the
//! line is written without `core::fmt` wherever the value allows: the timestamp from a per-second cache
//! (see `clock`), integers with `itoa`, strings copied a clean run at a time between the characters JSON escapes,
//! into a buffer each thread keeps. [`JsonLayer`] is the whole layer, not a formatter inside tracing-subscriber's
//! `fmt` layer: that layer formats into a buffer of its own, which the line would be copied through on its way to
//! the writer (about 100 of the line's 2,300 instructions, docs/PERFORMANCE.md).
//!
//! Span fields are not written: the gateway opens no spans of its own. [`Stderr`] gathers the lines and writes them
//! in batches, with no process-wide lock.

mod clock;

use crate::json::{PLAIN, is_plain};
use crate::sync::lock;
use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tracing::callsite::Identifier;
use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};

/// Standard error as the log's writer. Each line arrives whole (the layer formats it first) and is added to one
/// buffer under a plain mutex; the buffer goes out in one `write(2)` when it holds [`FLUSH_BYTES`], when a line in
/// it has waited the flush interval (a thread of its own sees to that), when the process leaves `main` (the
/// [`FlushGuard`]), and before a panic message. A request no longer costs a system call for its log line: under load
/// the line cost about a tenth of a pass-through request's CPU, most of it that call (docs/PERFORMANCE.md). The
/// price is that a process killed outright (`SIGKILL`, the OOM killer) loses the lines of its last interval.
///
/// With a zero interval each line is written at once in a `write(2)` of its own. Either way the writes go to a
/// duplicate of the descriptor, without the process-wide lock of `std::io::Stderr`, and lines never interleave.
///
/// Written here rather than taken from `tracing-appender`: its non-blocking writer hands every line to a worker
/// thread through a channel (an allocation and, whenever the worker is asleep, a wake-up each), and writes and
/// flushes each batch as soon as the channel is empty, which under load is about every line.
#[derive(Debug)]
pub struct Stderr {
    sink: Arc<Sink>,
}

/// Flushes the log's buffer when dropped; hold it until the process ends.
#[derive(Debug)]
#[must_use = "the log's last lines are written when the guard is dropped"]
pub struct FlushGuard {
    sink: Arc<Sink>,
}

/// The buffer is written out once it holds this much.
pub const FLUSH_BYTES: usize = 64 * 1024;

/// Where [`Stderr`]'s lines go: the buffer and the descriptor.
#[derive(Debug)]
pub struct Sink {
    out: std::fs::File,
    /// How long a line may wait in the buffer; `None`: not buffered.
    every: Option<Duration>,
    pending: Mutex<Pending>,
    /// Wakes the flush thread when a line arrives in an empty buffer.
    arrived: Condvar,
    /// Held while a batch is written, so that batches go out in the order they were taken; the spare buffer the
    /// next batch is taken into.
    writing: Mutex<Vec<u8>>,
}

#[derive(Debug, Default)]
struct Pending {
    bytes: Vec<u8>,
    /// The flush thread waits for a line.
    idle: bool,
}

impl Stderr {
    /// A writer on a duplicate of this process's standard error that holds lines up to `every` (zero: none).
    pub fn new(every: Duration) -> std::io::Result<(Self, FlushGuard)> {
        use std::os::fd::AsFd as _;
        Stderr::to(
            std::fs::File::from(std::io::stderr().as_fd().try_clone_to_owned()?),
            every,
        )
    }

    /// A writer on `out` that holds lines up to `every` (zero: none).
    pub fn to(out: std::fs::File, every: Duration) -> std::io::Result<(Self, FlushGuard)> {
        let every = (!every.is_zero()).then_some(every);
        let sink = Arc::new(Sink {
            out,
            every,
            pending: Mutex::new(Pending::default()),
            arrived: Condvar::new(),
            writing: Mutex::new(Vec::new()),
        });
        if let Some(every) = every {
            let flusher = Arc::downgrade(&sink);
            std::thread::Builder::new()
                .name("scimgate-log".into())
                .spawn(move || Sink::flush_every(&flusher, every))?;
        }
        Ok((Stderr { sink: sink.clone() }, FlushGuard { sink }))
    }
}

impl FlushGuard {
    /// Write what the buffer holds before the message of any panic, so that the log keeps its order. It never
    /// waits: a panic while the buffer is being written leaves the buffer to the guard.
    pub fn flush_before_panics(&self) {
        let sink = Arc::downgrade(&self.sink);
        let earlier = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Some(sink) = sink.upgrade() {
                sink.try_flush();
            }
            earlier(info);
        }));
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        let _ = self.sink.flush();
    }
}

impl Sink {
    /// The flush thread: once a line arrives, wait out the interval and write the buffer. It ends when the writer
    /// and its guard are gone.
    fn flush_every(sink: &std::sync::Weak<Sink>, every: Duration) {
        loop {
            {
                let Some(sink) = sink.upgrade() else { return };
                let mut pending = lock(&sink.pending);
                if pending.bytes.is_empty() {
                    pending.idle = true;
                    // Woken by a line, or after a while to see whether the writer is still there.
                    pending = sink
                        .arrived
                        .wait_timeout(pending, Duration::from_secs(1))
                        .map_or_else(|e| e.into_inner().0, |(pending, _)| pending);
                    pending.idle = false;
                    if pending.bytes.is_empty() {
                        continue;
                    }
                }
            }
            std::thread::sleep(every);
            let Some(sink) = sink.upgrade() else { return };
            let _ = sink.flush();
        }
    }

    fn add(&self, line: &[u8]) -> std::io::Result<()> {
        let mut pending = lock(&self.pending);
        pending.bytes.extend_from_slice(line);
        if pending.bytes.len() >= FLUSH_BYTES {
            drop(pending);
            return self.flush();
        }
        if pending.idle {
            pending.idle = false;
            drop(pending);
            self.arrived.notify_one();
        }
        Ok(())
    }

    /// Write what the buffer holds.
    fn flush(&self) -> std::io::Result<()> {
        let mut batch = lock(&self.writing);
        self.write_batch(&mut batch)
    }

    fn try_flush(&self) {
        if let Ok(mut batch) = self.writing.try_lock() {
            let _ = self.write_batch(&mut batch);
        }
    }

    fn write_batch(&self, batch: &mut Vec<u8>) -> std::io::Result<()> {
        use std::io::Write as _;
        match self.pending.try_lock() {
            Ok(mut pending) => std::mem::swap(batch, &mut pending.bytes),
            // Only a panic while a line was added gets here, from the panic hook: that buffer is left alone.
            Err(std::sync::TryLockError::WouldBlock) if std::thread::panicking() => return Ok(()),
            Err(_) => std::mem::swap(batch, &mut lock(&self.pending).bytes),
        }
        let written = (&self.out).write_all(batch);
        batch.clear();
        // One burst's outsized buffer is not kept for the process's lifetime.
        if batch.capacity() > 4 * FLUSH_BYTES {
            *batch = Vec::new();
        }
        written
    }
}

impl std::io::Write for &Sink {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        match self.every {
            None => (&self.out).write(line),
            Some(_) => self.add(line).map(|()| line.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Sink::flush(self)
    }
}

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = &'a Sink;

    fn make_writer(&'a self) -> Self::Writer {
        &self.sink
    }
}

/// The JSON log as a layer: each event becomes one line, handed whole to the writer `W` makes.
#[derive(Debug)]
pub struct JsonLayer<W> {
    writer: W,
}

impl<W> JsonLayer<W>
where
    W: for<'w> MakeWriter<'w> + 'static,
{
    /// Lines to the writers `writer` makes ([`Stderr`] in the gateway).
    pub fn new(writer: W) -> Self {
        JsonLayer { writer }
    }

    /// Format `event` into `buffer` and hand the line to the writer.
    fn emit(&self, buffer: &mut String, event: &Event<'_>) {
        use std::io::Write as _;
        buffer.clear();
        write_line(buffer, event);
        // A log line that cannot be written is dropped: there is nowhere left to report it.
        let _ = self
            .writer
            .make_writer_for(event.metadata())
            .write_all(buffer.as_bytes());
    }
}

/// The most a thread's line buffer keeps between events.
const KEPT_CAPACITY: usize = 16 * 1024;

thread_local! {
    /// The line being written on this thread, kept between events so that a line costs no allocation.
    static LINE: RefCell<String> = RefCell::new(String::with_capacity(512));
    /// The field names of the last callsite this thread logged from that are written without escaping, as a bit
    /// per field: most lines come from the same few callsites (the request log line above all), whose names
    /// need checking once, not on every line.
    static PLAIN_KEYS: RefCell<Option<(Identifier, u64)>> = const { RefCell::new(None) };
}

/// A bit for each field of the callsite whose name is written as it is (bits past the 64th are never set: such
/// a field is escaped).
fn plain_keys(meta: &Metadata<'_>) -> u64 {
    let callsite = meta.callsite();
    let known = PLAIN_KEYS.with(|kept| match &*kept.borrow() {
        Some((kept, keys)) if *kept == callsite => Some(*keys),
        _ => None,
    });
    known.unwrap_or_else(|| {
        let keys = meta
            .fields()
            .iter()
            .take(64)
            .enumerate()
            .filter(|(_, field)| is_plain(field.name().as_bytes()))
            .fold(0u64, |keys, (at, _)| keys | (1 << at));
        PLAIN_KEYS.with(|kept| *kept.borrow_mut() = Some((callsite, keys)));
        keys
    })
}

impl<S, W> Layer<S> for JsonLayer<W>
where
    S: Subscriber,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        LINE.with(|line| match line.try_borrow_mut() {
            Ok(mut buffer) => {
                self.emit(&mut buffer, event);
                // One outsized line (a long error chain) is not kept for the thread's lifetime.
                if buffer.capacity() > KEPT_CAPACITY {
                    *buffer = String::with_capacity(512);
                }
            }
            // A field whose `Debug` logs an event of its own: that event gets a buffer of its own.
            Err(_) => self.emit(&mut String::with_capacity(512), event),
        });
    }
}

/// Format `event` into `buffer` (empty).
fn write_line(buffer: &mut String, event: &Event<'_>) {
    let meta = event.metadata();
    let mut line = Line {
        text: buffer,
        plain_keys: plain_keys(meta),
    };
    line.text.push_str("{\"timestamp\":\"");
    clock::push_now(line.text);
    line.text.push_str("\",\"level\":\"");
    line.text.push_str(meta.level().as_str());
    line.text.push('"');
    event.record(&mut line);
    line.text.push_str(",\"target\":");
    line.string(meta.target());
    line.text.push_str("}\n");
}

/// A line being written.
struct Line<'a> {
    text: &'a mut String,
    /// See [`plain_keys`].
    plain_keys: u64,
}

impl Line<'_> {
    fn key(&mut self, field: &Field) {
        let name = field.name();
        // A field name is almost always a plain identifier.
        let plain = u32::try_from(field.index())
            .ok()
            .and_then(|at| self.plain_keys.checked_shr(at))
            .is_some_and(|keys| keys & 1 == 1);
        if plain {
            self.text.push_str(",\"");
            self.text.push_str(name);
            self.text.push_str("\":");
        } else {
            self.text.push(',');
            self.string(name);
            self.text.push(':');
        }
    }

    fn string(&mut self, text: &str) {
        self.text.push('"');
        escape(self.text, text);
        self.text.push('"');
    }

    fn integer(&mut self, field: &Field, value: impl itoa::Integer) {
        self.key(field);
        self.text.push_str(itoa::Buffer::new().format(value));
    }

    /// A value only `core::fmt` can write, as a JSON string.
    fn formatted(&mut self, field: &Field, args: fmt::Arguments<'_>) {
        self.key(field);
        self.text.push('"');
        // Writing into a String cannot fail.
        let _ = Escaped(self.text).write_fmt(args);
        self.text.push('"');
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
            let _ = write!(Escaped(self.text), "{value}");
        } else {
            // JSON has no NaN or infinity.
            self.formatted(field, format_args!("{value}"));
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.text.push_str(if value { "true" } else { "false" });
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
