//! `--only instructions`: machine instructions per request, counted by callgrind, of the gateway and of the
//! minimal hop on the same path. CPU time on a shared two-core machine moves by ±20 % between runs; instruction
//! counts on one sequential keep-alive connection move by a few percent, and `callgrind_annotate` on the files
//! left behind says where each instruction went.
//!
//! The gateway and both hops run under `valgrind --tool=callgrind` (so this step runs alone); each path is
//! warmed up, the counters zeroed (`callgrind_control -z`), the requests sent one after another on one TLS
//! connection, and the counts dumped (`callgrind_control -d`).

use crate::load::{self, MakeRequest, Target, Turn};
use crate::procs::Proc;
use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `--only` value of this step.
pub const ONLY: &str = "instructions";

/// Requests before the counters are zeroed (connection set up, caches and pools warm).
const WARM_UP: u64 = 300;

/// Where the callgrind files go: a directory of their own (kept after the run, for `callgrind_annotate`), away
/// from the run's directory, which the gateway watches for config changes.
pub fn dir() -> PathBuf {
    std::env::temp_dir().join(format!("scimgate-callgrind-{}", std::process::id()))
}

/// The program a process under test is started with in this step, and the arguments before its own.
/// `BENCH_CALLGRIND_ARGS` adds callgrind options (for attribution, e.g. `--cache-sim=yes` for cache misses).
pub fn wrapper(dir: &Path, name: &str) -> (PathBuf, Vec<String>) {
    let mut args = vec![
        "--tool=callgrind".to_owned(),
        format!(
            "--callgrind-out-file={}",
            dir.join(format!("callgrind.{name}.%p")).display()
        ),
    ];
    if let Ok(extra) = std::env::var("BENCH_CALLGRIND_ARGS") {
        args.extend(extra.split_whitespace().map(str::to_owned));
    }
    (PathBuf::from("valgrind"), args)
}

/// Fail early, with the package to install, when valgrind is missing.
pub fn check_tools() -> anyhow::Result<()> {
    for tool in ["valgrind", "callgrind_control"] {
        let found = Command::new(tool).arg("--version").output().is_ok();
        anyhow::ensure!(found, "`{ONLY}` needs {tool} (Debian: apt-get install valgrind)");
    }
    Ok(())
}

/// One path measured on one server: instructions per request.
pub struct Count {
    /// Instructions per request.
    pub per_request: f64,
    /// The callgrind file, for `callgrind_annotate`.
    pub file: PathBuf,
}

/// Send `requests` of `make` to `target` one at a time on one connection and count `server`'s instructions.
pub async fn count(
    dir: &Path,
    name: &str,
    server: &Proc,
    target: &Target,
    make: &MakeRequest,
    requests: u64,
) -> anyhow::Result<Count> {
    let mut conn = load::connect(target).await?;
    let mut seq = 0;
    let mut send = async |n: u64| -> anyhow::Result<()> {
        for _ in 0..n {
            let turn = Turn {
                conn: 0,
                seq,
                iter: seq,
            };
            seq += 1;
            let (status, body) = load::send(&mut conn, make(turn)).await?;
            anyhow::ensure!(
                status.is_success(),
                "{name}: {status} {}",
                String::from_utf8_lossy(&body)
            );
        }
        Ok(())
    };
    send(WARM_UP).await?;
    control(server, &["-z"])?;
    send(requests).await?;
    let before = dumps(dir, name)?;
    control(server, &["-d"])?;
    let file = dumps(dir, name)?
        .into_iter()
        .find(|f| !before.contains(f))
        .context("callgrind wrote no dump")?;
    let total = totals(&std::fs::read_to_string(&file)?).context("no totals in the callgrind dump")?;
    Ok(Count {
        per_request: total as f64 / requests as f64,
        file,
    })
}

fn control(server: &Proc, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new("callgrind_control")
        .args(args)
        .arg(server.pid.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()?;
    anyhow::ensure!(status.success(), "callgrind_control {args:?} failed");
    Ok(())
}

/// The dump files of the process started as `name` (`callgrind.NAME.PID.N`).
fn dumps(dir: &Path, name: &str) -> anyhow::Result<Vec<PathBuf>> {
    let prefix = format!("callgrind.{name}.");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let dumped = path
            .file_name()
            .and_then(|f| f.to_str())
            .is_some_and(|f| f.starts_with(&prefix) && f[prefix.len()..].contains('.'));
        if dumped {
            files.push(path);
        }
    }
    Ok(files)
}

/// The event total of a callgrind dump (`totals: N` or `summary: N`).
fn totals(dump: &str) -> Option<u64> {
    dump.lines()
        .find_map(|l| l.strip_prefix("totals:").or_else(|| l.strip_prefix("summary:")))
        .and_then(|n| n.split_whitespace().next()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_total_of_a_dump() {
        let dump = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nfn=(1) main\n5 10\nsummary: 323145257\ntotals: 323145257\n";
        assert_eq!(totals(dump), Some(323_145_257));
        assert_eq!(totals("events: Ir\n"), None);
    }
}
