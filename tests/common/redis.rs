//! A real `redis-server` (Debian's package, installed when missing) on a free loopback port, with its data in a
//! temporary folder and no persistence, killed on drop. It can be stopped and started again on the same port.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// A running (or stopped) Redis server.
pub struct RedisServer {
    pub port: u16,
    pub password: Option<String>,
    /// Over TLS only (`rediss://`): the CA that signed its certificate for 127.0.0.1.
    pub ca: Option<PathBuf>,
    tls: Option<scimgate::demo::CertFiles>,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// `redis-server`'s path, installing Debian's package when it is missing (CI runs as root).
fn binary() -> PathBuf {
    let installed = |p: &str| std::path::Path::new(p).is_file().then(|| PathBuf::from(p));
    if let Some(found) = installed("/usr/bin/redis-server") {
        return found;
    }
    // Two test processes installing at once: one waits for the other under the lock.
    let status = std::process::Command::new("flock")
        .arg(std::env::temp_dir().join("scimgate-redis-install.lock"))
        .args([
            "sh",
            "-c",
            "[ -x /usr/bin/redis-server ] || apt-get install -y --no-install-recommends redis-server >/dev/null 2>&1 || \
             (apt-get update -qq && apt-get install -y --no-install-recommends redis-server >/dev/null)",
        ])
        .status()
        .expect("flock and apt-get");
    assert!(status.success(), "cannot install redis-server");
    installed("/usr/bin/redis-server").expect("redis-server installed")
}

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

impl RedisServer {
    /// Start a server, with `requirepass` when a password is given.
    pub async fn start(password: Option<&str>) -> Self {
        let mut server = RedisServer {
            port: free_port(),
            password: password.map(str::to_owned),
            ca: None,
            tls: None,
            dir: tempfile::tempdir().expect("temp dir"),
            child: None,
        };
        server.restart().await;
        server
    }

    /// As `start`, serving TLS only, with a certificate for 127.0.0.1 from a CA of its own.
    pub async fn start_tls(password: Option<&str>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let certs = scimgate::demo::generate_certs(dir.path()).expect("certificates");
        let mut server = RedisServer {
            port: free_port(),
            password: password.map(str::to_owned),
            ca: Some(certs.ca.clone()),
            tls: Some(certs),
            dir,
            child: None,
        };
        server.restart().await;
        server
    }

    /// `redis://127.0.0.1:<port>/0`, or `rediss://` over TLS.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}/0", self.port)
    }

    /// Start it again (on the same port, with an empty data set) after [`RedisServer::kill`].
    pub async fn restart(&mut self) {
        let mut args: Vec<String> = [
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
        ]
        .map(String::from)
        .to_vec();
        match &self.tls {
            None => args.extend(["--port".into(), self.port.to_string()]),
            Some(certs) => {
                args.extend(["--port".into(), "0".into(), "--tls-port".into(), self.port.to_string()]);
                args.extend(["--tls-auth-clients".into(), "no".into()]);
                for (flag, path) in [
                    ("--tls-cert-file", &certs.cert),
                    ("--tls-key-file", &certs.key),
                    ("--tls-ca-cert-file", &certs.ca),
                ] {
                    args.extend([flag.into(), path.display().to_string()]);
                }
            }
        }
        args.extend(["--dir".into(), self.dir.path().display().to_string()]);
        if let Some(p) = &self.password {
            args.extend(["--requirepass".into(), p.clone()]);
        }
        let child = Command::new(binary())
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        let port = self.port;
        tokio::time::timeout(Duration::from_secs(20), async {
            while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("redis-server listens");
    }

    /// Kill it (SIGKILL) and wait until it is gone.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
        }
    }
}
