//! A real product, installed from a package registry and started by its script in `tests/products/<name>/`, and
//! gateways in front of it with its shipped mapping (`config/products/<name>.toml`): one in-process over TLS, and
//! one as a fresh `scimgate run` process (an empty id cache) for the cold-cache lookups.
//!
//! `start.sh <state-dir>` installs the product if needed (under `target/products/`), starts it on free loopback
//! ports with its data in `<state-dir>`, writes `product.env` (`KEY=value` lines: `BASE_URL` and the credential)
//! and `pids` (processes, or `-PGID` process groups, to stop), and returns once the product's API answers.

use super::{Gateway, TenantHandle};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A running product; stopped when dropped.
pub struct Product {
    pub name: String,
    dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
}

impl Product {
    /// Install (once) and start `tests/products/<name>/start.sh`.
    pub async fn start(name: &str) -> Product {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let script = root.join("tests/products").join(name).join("start.sh");
        let dir = tempfile::Builder::new()
            .prefix(&format!("{name}-"))
            .tempdir()
            .expect("state dir");
        let run = tokio::process::Command::new("bash")
            .arg(&script)
            .arg(dir.path())
            .current_dir(root)
            .kill_on_drop(true)
            .output();
        // The first start may install the product from its registry.
        let out = tokio::time::timeout(Duration::from_secs(600), run)
            .await
            .unwrap_or_else(|_| panic!("{} did not finish within 600 s", script.display()))
            .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
        let mut product = Product {
            name: name.to_owned(),
            dir,
            env: BTreeMap::new(),
        };
        assert!(
            out.status.success(),
            "{} failed ({}):\n{}\n{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let env = std::fs::read_to_string(product.dir.path().join("product.env")).expect("product.env");
        product.env = env
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        product
    }

    /// A value of `product.env`.
    pub fn env(&self, key: &str) -> &str {
        self.env
            .get(key)
            .unwrap_or_else(|| panic!("{}: product.env has no {key}", self.name))
    }

    /// The product's state directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A `file:` secret reference holding the value of `product.env`'s `key`, for the tenant's `upstream.auth`.
    pub fn secret(&self, key: &str) -> String {
        let path = self.dir.path().join(format!("{key}.secret"));
        std::fs::write(&path, self.env(key)).expect("secret file");
        format!("file:{}", path.display())
    }

    /// The product's shipped mapping file.
    pub fn mapping_path(&self) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("config/products/{}.toml", self.name))
    }

    /// A gateway over TLS with one tenant using the shipped mapping `mapping` and this `upstream` table body
    /// (`base_url = "…", auth = { … }`).
    pub async fn gateway(&self, mapping: &str, upstream: &str) -> Gateway {
        let text = std::fs::read_to_string(self.mapping_path()).expect("shipped mapping");
        let token = scimgate::token::new_token();
        let tenants = tenant_toml(&token, mapping, upstream);
        super::serve(&tenants, &text, vec![TenantHandle { token, product: None }]).await
    }

    /// A fresh `scimgate run` process (plain HTTP on loopback) with the same tenant: its id cache is empty.
    pub async fn process(&self, mapping: &str, upstream: &str, token: &str) -> super::process::Process {
        let path = self.dir.path().join(format!("scimgate-{}.toml", super::unique()));
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nplaintext = true\n[admin]\nenabled = false\n\n{}",
            tenant_toml(token, mapping, upstream)
        );
        std::fs::write(&path, text).expect("config");
        super::process::run(&path, &self.mapping_path().display().to_string(), "warn").await
    }
}

fn tenant_toml(token: &str, mapping: &str, upstream: &str) -> String {
    format!(
        "[[tenants]]\nid = \"idp\"\ntokens = [{digest:?}]\nmapping = {mapping:?}\n\
         rate_limit = {{ per_second = 1000, burst = 1000 }}\nupstream = {{ {upstream} }}\n\n",
        digest = scimgate::token::TokenHash::of(token).to_config(),
    )
}

impl Drop for Product {
    fn drop(&mut self) {
        let pids = std::fs::read_to_string(self.dir.path().join("pids")).unwrap_or_default();
        let pids: Vec<&str> = pids.split_whitespace().collect();
        if pids.is_empty() {
            return;
        }
        let kill = |signal: &str, pid: &str| {
            std::process::Command::new("kill")
                .args([signal, "--", pid])
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        for pid in &pids {
            kill("-TERM", pid);
        }
        // Up to 10 s to stop, then killed.
        for _ in 0..100 {
            if !pids.iter().any(|pid| kill("-0", pid)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        for pid in &pids {
            kill("-KILL", pid);
        }
    }
}
