//! `scimgate run` as a child process with a written config: its listen address read from its startup log, its
//! log output kept for inspection.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStderr, Command};

/// A running gateway process.
pub struct Process {
    pub child: Child,
    pub base: String,
    stderr: BufReader<ChildStderr>,
    pub log: String,
}

/// Start `scimgate run --config <config> --config <mapping>` with `SCIMGATE_LOG=<level>`.
pub async fn run(config: &Path, mapping: &str, level: &str) -> Process {
    run_with(config, mapping, level, &[]).await
}

/// As `run`, with more environment variables.
pub async fn run_with(config: &Path, mapping: &str, level: &str, env: &[(&str, &str)]) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimgate"))
        .args(["run", "--config"])
        .arg(config)
        .args(["--config", mapping])
        .env("SCIMGATE_LOG", level)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn scimgate");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut log = String::new();
    let addr = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let mut line = String::new();
            assert!(
                stderr.read_line(&mut line).await.expect("read") > 0,
                "the gateway exited: {log}"
            );
            log.push_str(&line);
            if line.contains("serving SCIM")
                && let Some(at) = line.find("127.0.0.1:")
            {
                let rest = &line[at..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
                    .unwrap_or(rest.len());
                return rest[..end].to_owned();
            }
        }
    })
    .await
    .expect("the gateway logged its address");
    Process {
        child,
        base: format!("http://{addr}/scim/v2"),
        stderr,
        log,
    }
}

impl Process {
    /// Stop the process as an operator would, with `SIGTERM` (killing it should it not end within 10 s), and
    /// return everything it logged.
    pub async fn stop(mut self) -> String {
        let ended = match self.child.id() {
            Some(pid) => {
                let sent = std::process::Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status()
                    .is_ok_and(|s| s.success());
                sent && tokio::time::timeout(Duration::from_secs(10), self.child.wait())
                    .await
                    .is_ok()
            }
            None => true,
        };
        if !ended {
            let _ = self.child.start_kill();
        }
        let mut rest = String::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.stderr.read_to_string(&mut rest)).await;
        self.log.push_str(&rest);
        self.log
    }
}
