//! The process's logs on standard error: tracing-subscriber's JSON format, one object per event with the event's
//! fields flattened into it (`{"timestamp":…,"level":…,"message":…,<fields>,"target":…}`), or its text format.
//! Each line is formatted whole and handed to the writer in one `write_all`, which standard error takes under its
//! lock, so lines from concurrent requests are never split or interleaved.
//!
//! The audit trail is not a log: it has a layer and a file of its own (`crate::audit`).

use tracing::Subscriber;
use tracing_subscriber::fmt::format::{Format, Json, JsonFields};
use tracing_subscriber::fmt::{self, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// The JSON log written to `writer`: `timestamp` (UTC, microseconds), `level`, the event's fields (`message`
/// first where the event has one), `target`, and for an event logged while a SCIM request is served, `span`: the
/// request's `request_id` and `tenant` (the request's own line carries them as fields, and no `span`).
pub fn json<S, W>(writer: W) -> fmt::Layer<S, JsonFields, Format<Json>, W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(writer)
}

#[cfg(test)]
mod tests;
