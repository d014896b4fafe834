//! The processes under test: spawning them on free loopback ports, waiting until they listen, and reading their
//! own accounting from `/proc` (CPU time from `stat`, resident memory from `status`).

use anyhow::Context as _;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// `USER_HZ`: the unit of `utime` and `stime` in `/proc/<pid>/stat`, 100 on every Linux ABI.
const TICKS_PER_SECOND: u64 = 100;

/// A child process that is killed when dropped.
pub struct Proc {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its process id.
    pub pid: u32,
    /// Lines its stderr printed that contain the watched text (see [`spawn`]).
    pub watched: Arc<AtomicU64>,
    _child: Child,
}

/// A loopback port nobody listens on right now.
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// Start `program args` listening on `addr`; count stderr lines containing `watch` (stderr is discarded when
/// `watch` is `None`). Returns once `addr` accepts connections.
pub async fn spawn(
    name: &'static str,
    program: &std::path::Path,
    args: &[String],
    env: &[(&str, &str)],
    addr: SocketAddr,
    watch: Option<&'static str>,
) -> anyhow::Result<Proc> {
    let mut command = Command::new(program);
    command
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(if watch.is_some() { Stdio::piped() } else { Stdio::null() })
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .with_context(|| format!("start {}", program.display()))?;
    let pid = child.id().context("the child has a pid")?;
    let watched = Arc::new(AtomicU64::new(0));
    if let (Some(text), Some(stderr)) = (watch, child.stderr.take()) {
        let counter = watched.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains(text) {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    let started = Instant::now();
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("{name} exited before listening: {status}");
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "{name} did not listen on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(Proc {
        addr,
        pid,
        watched,
        _child: child,
    })
}

impl Proc {
    /// User plus system CPU time the process has used so far.
    pub fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // The command name may hold spaces: the fields that follow start after its closing parenthesis.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, rest)| rest)
            .split_whitespace()
            .collect();
        // Fields 14 (utime) and 15 (stime) of proc(5), counted from field 3 here.
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        Duration::from_millis((ticks(11) + ticks(12)) * 1000 / TICKS_PER_SECOND)
    }

    /// Resident memory now and at its peak (`VmRSS`, `VmHWM`), in MiB.
    pub fn rss_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        let kib = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        (kib("VmRSS:") / 1024.0, kib("VmHWM:") / 1024.0)
    }

    /// Reset the peak resident memory (`VmHWM`) to the current one: proc(5), `clear_refs` value 5.
    pub fn reset_peak_rss(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5");
    }

    /// The watched-line count once it has stopped moving (the reader may lag the process by a little).
    pub async fn settled_count(&self) -> u64 {
        let mut last = self.watched.load(Ordering::Relaxed);
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let now = self.watched.load(Ordering::Relaxed);
            if now == last {
                return now;
            }
            last = now;
        }
    }
}
