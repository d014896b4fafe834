//! The audit trail: one JSON line per change a SCIM request made or tried to make in a product — create,
//! update, deactivate, reactivate, delete, member add, member remove — with the tenant, the resource type, the
//! SCIM id, the product id and the outcome (`ok`, the failure's status, or `unknown` when the product call timed
//! out after it was sent); a failure names what it tried to write ([`Target`]). Events go to the `scimgate::audit`
//! tracing target; [`layer`] writes that target to the configured output (a file or stdout), and `main` keeps it
//! out of the ordinary logs.
//!
//! The trail is not a log: it is never batched. Each line is written whole and flushed before [`record`] returns,
//! and every change is recorded before its answer is rendered, so the line is in the file by the time the IdP has
//! the answer (unless the request timeout answered it first: the write runs on to its line, `router/write.rs`),
//! and a crash right after a change never loses its record.
//!
//! A file output is reopened at its path on SIGHUP ([`Output::reopen`]), so that log rotation (`logrotate`'s
//! rename, then SIGHUP) moves the trail on to a new file.

use std::fs::File;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::registry::LookupSpan;

/// The tracing target of audit events.
pub const TARGET: &str = "scimgate::audit";

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A resource was created (or an existing product object adopted).
    Create,
    /// Attributes changed.
    Update,
    /// A user was deactivated.
    Deactivate,
    /// A user was reactivated.
    Reactivate,
    /// A resource was deleted.
    Delete,
    /// A member joined a group.
    MemberAdd,
    /// A member left a group.
    MemberRemove,
}

impl Action {
    /// The name written to the trail.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Deactivate => "deactivate",
            Action::Reactivate => "reactivate",
            Action::Delete => "delete",
            Action::MemberAdd => "member_add",
            Action::MemberRemove => "member_remove",
        }
    }
}

/// One change: `resource` is `User` or `Group`; `member` the user id of a member change; `outcome` `ok` or the
/// SCIM status of the failure.
pub fn record(tenant: &str, resource: &str, action: Action, scim_id: &str, member: Option<&str>, outcome: &str) {
    tracing::info!(
        target: TARGET,
        tenant,
        resource,
        action = action.as_str(),
        scim_id,
        // The SCIM id is the product id by design (docs/MAPPING.md); both are written so the trail reads alone.
        product_id = scim_id,
        member,
        outcome,
        "audit"
    );
}

/// What a change that failed, or whose outcome is unknown, tried to write: the SCIM id when the request named one,
/// and the names the body gave. Absent values are left out of the line, never written empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// The SCIM id of the resource (from the request path).
    pub scim_id: Option<String>,
    /// `userName` the request sent.
    pub user_name: Option<String>,
    /// `externalId` the request sent.
    pub external_id: Option<String>,
    /// `displayName` the request sent.
    pub display_name: Option<String>,
}

/// Outcome of a change whose product call timed out after it was sent: the product may or may not have made it.
pub const UNKNOWN: &str = "unknown";

/// The outcome written for a change that failed with `status`: the status code, or [`UNKNOWN`] for a product
/// timeout (504), after which the gateway cannot know whether the product made the change.
pub fn outcome(status: http::StatusCode) -> String {
    if status == http::StatusCode::GATEWAY_TIMEOUT {
        UNKNOWN.to_owned()
    } else {
        status.as_u16().to_string()
    }
}

/// A change that did not succeed, or may not have: `outcome` from [`outcome`].
pub fn record_failure(tenant: &str, resource: &str, action: Action, target: &Target, outcome: &str) {
    let scim_id = target.scim_id.as_deref();
    tracing::info!(
        target: TARGET,
        tenant,
        resource,
        action = action.as_str(),
        scim_id,
        product_id = scim_id,
        userName = target.user_name.as_deref(),
        externalId = target.external_id.as_deref(),
        displayName = target.display_name.as_deref(),
        outcome,
        "audit"
    );
}

/// Where the trail goes. A clone writes to the same place (and sees it reopened).
#[derive(Debug, Clone)]
pub enum Output {
    /// Standard output.
    Stdout,
    /// A file, appended to.
    File(Arc<AuditFile>),
}

/// The trail's file: its path, and the file open at it.
#[derive(Debug)]
pub struct AuditFile {
    path: PathBuf,
    file: Mutex<File>,
}

fn append(path: &std::path::Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new().create(true).append(true).open(path)
}

impl Output {
    /// `stdout`, or a file path opened for appending (created if missing).
    pub fn open(output: &str) -> std::io::Result<Self> {
        if output == "stdout" {
            return Ok(Output::Stdout);
        }
        let path = PathBuf::from(output);
        let file = Mutex::new(append(&path)?);
        Ok(Output::File(Arc::new(AuditFile { path, file })))
    }

    /// Open the file at its path anew (after a log rotation renamed it away); the next line goes to the file now
    /// at the path. When it cannot be opened, the trail goes on in the file it had.
    pub fn reopen(&self) -> std::io::Result<()> {
        match self {
            Output::Stdout => Ok(()),
            Output::File(out) => {
                let fresh = append(&out.path)?;
                *crate::sync::lock(&out.file) = fresh;
                Ok(())
            }
        }
    }

    /// Write one whole line and flush it.
    fn line(&self, line: &[u8]) -> std::io::Result<()> {
        match self {
            Output::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(line)?;
                out.flush()
            }
            Output::File(out) => {
                let mut file = crate::sync::lock(&out.file);
                file.write_all(line)?;
                file.flush()
            }
        }
    }
}

/// The writer the trail's layer gets for one line.
#[derive(Debug)]
pub struct LineWriter<'a>(&'a Output);

impl std::io::Write for LineWriter<'_> {
    /// tracing-subscriber hands over each formatted line in one `write_all`, so a call is one whole line.
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        self.0.line(line)?;
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Output {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(self)
    }
}

/// The trail as a tracing layer: the events of [`TARGET`] as JSON lines (`timestamp`, `level`, the fields,
/// `target`) written to `output`, each before the event returns.
pub fn layer<S>(output: Output) -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    crate::logging::json(output)
        .with_current_span(false)
        .with_filter(Targets::new().with_target(TARGET, LevelFilter::INFO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt as _;

    #[test]
    fn a_reopened_output_writes_to_the_file_now_at_its_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("audit.jsonl");
        let rotated = dir.path().join("audit.jsonl.1");
        let output = Output::open(path.to_str().expect("UTF-8 path")).expect("open");
        output.line(b"first\n").expect("write");
        std::fs::rename(&path, &rotated).expect("rotate");
        output.line(b"second\n").expect("write");
        output.reopen().expect("reopen");
        output.line(b"third\n").expect("write");
        assert_eq!(std::fs::read_to_string(&rotated).expect("rotated"), "first\nsecond\n");
        assert_eq!(std::fs::read_to_string(&path).expect("new"), "third\n");
    }

    #[test]
    fn each_record_is_in_the_file_when_it_returns() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("audit.jsonl");
        let output = Output::open(path.to_str().expect("UTF-8 path")).expect("open");
        let subscriber = tracing_subscriber::registry().with(layer(output));
        tracing::subscriber::with_default(subscriber, || {
            for (n, id) in ["u1", "u2"].into_iter().enumerate() {
                record("acme", "User", Action::Create, id, None, "ok");
                tracing::info!(target: "scimgate::router", "an ordinary log line stays out of the trail");
                let text = std::fs::read_to_string(&path).expect("read");
                let lines: Vec<serde_json::Value> = text
                    .lines()
                    .map(|l| serde_json::from_str(l).expect("a whole JSON line"))
                    .collect();
                assert_eq!(lines.len(), n + 1, "{text}");
                assert_eq!(lines[n]["scim_id"], id);
                assert_eq!(lines[n]["action"], "create");
                assert_eq!(lines[n]["tenant"], "acme");
            }
        });
    }

    #[test]
    fn a_failure_names_what_it_tried_to_write_and_never_an_empty_id() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("audit.jsonl");
        let output = Output::open(path.to_str().expect("UTF-8 path")).expect("open");
        let subscriber = tracing_subscriber::registry().with(layer(output));
        let target = Target {
            user_name: Some("ada@example.com".into()),
            external_id: Some("e-1".into()),
            ..Target::default()
        };
        tracing::subscriber::with_default(subscriber, || {
            record_failure(
                "acme",
                "User",
                Action::Create,
                &target,
                &outcome(http::StatusCode::GATEWAY_TIMEOUT),
            );
        });
        let text = std::fs::read_to_string(&path).expect("read");
        let line: serde_json::Value = serde_json::from_str(text.trim()).expect("a JSON line");
        assert_eq!(line["outcome"], "unknown");
        assert_eq!(line["userName"], "ada@example.com");
        assert_eq!(line["externalId"], "e-1");
        assert!(line.get("scim_id").is_none(), "{line}");
        assert!(line.get("displayName").is_none(), "{line}");
        assert_eq!(outcome(http::StatusCode::CONFLICT), "409");
    }
}
