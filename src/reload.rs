//! Hot reload: on SIGHUP, and when a config file or a file it references (the TLS certificate and key, CA
//! bundles, `file:` secrets) changes, the config is loaded and validated anew and, only if it is valid, swapped in
//! whole (tenants, tokens, mappings, limits, TLS certificates, product credentials). A changed file is read only
//! once it has stayed unchanged for a moment, so that a half-written file is not applied. A config that fails is
//! logged and counted, and the previous one stays in force. In-flight requests finish on the runtime they began
//! with. The listen addresses and listener limits are read at start; changing them needs a restart (logged).
//! SIGHUP also reopens the audit file (log rotation).
//!
//! State outlives a reload where the settings it depends on did not change ([`config::revalidate`]): a tenant
//! keeps its rate-limit bucket while its rate limit is the same, and its id cache while its product base URL, its
//! mapping and the cache limits are; the failed-authentication throttle always keeps its counts.

use crate::audit;
use crate::config;
use crate::metrics::{Metrics, ReloadLabels};
use crate::server::Live;
use notify::Watcher;
use std::collections::HashSet;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long changed files must stay unchanged before the config is read from them: a file caught half-written
/// is not applied, even when what is written so far is valid.
const SETTLE: Duration = Duration::from_millis(200);

/// Most settle periods waited for files that keep changing; the config is then read as it is.
const MAX_SETTLE_ROUNDS: u32 = 50;

/// What asked for a reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// SIGHUP.
    Signal,
    /// A config file, or a file it references, changed.
    FileChanged,
}

/// Reload `paths` into `live` whenever asked, until the process ends: on SIGHUP (which also reopens the `audit`
/// file, for log rotation), and when a config file or a file it references (certificate, key, CA bundle, `file:`
/// secret) changes and then stays unchanged for a moment. SIGHUP and the files are watched when this returns (call
/// it within the runtime); the reloads run on a task of their own.
pub fn spawn(
    paths: Vec<PathBuf>,
    live: Arc<Live>,
    metrics: Arc<Metrics>,
    listen: SocketAddr,
    audit: Option<audit::Output>,
) -> tokio::task::JoinHandle<()> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Trigger>(8);
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::hangup()) {
            Ok(mut hup) => {
                let tx = tx.clone();
                tokio::spawn(async move {
                    while hup.recv().await.is_some() {
                        // logrotate renames the trail away, then signals: the next line starts the new file.
                        if let Some(Err(e)) = audit.as_ref().map(audit::Output::reopen) {
                            tracing::error!(error = %e, "the audit file cannot be reopened; the trail goes on in the old one");
                        }
                        let _ = tx.send(Trigger::Signal).await;
                    }
                });
            }
            Err(e) => tracing::warn!(error = %e, "SIGHUP cannot be watched; reload by file change only"),
        }
    }
    #[cfg(not(unix))]
    drop(audit);
    let watched = Arc::new(Mutex::new(Watched::default()));
    let on_change = tx.clone();
    let seen = watched.clone();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if !(event.kind.is_modify() || event.kind.is_create()) {
            return;
        }
        if event.paths.iter().any(|p| crate::sync::lock(&seen).matches(p)) {
            let _ = on_change.try_send(Trigger::FileChanged);
        }
    });
    let mut watcher = match watcher {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(error = %e, "config files cannot be watched; reload with SIGHUP");
            None
        }
    };
    drop(tx);
    let referenced = config::load(&paths).map(|f| f.referenced_files()).unwrap_or_default();
    let mut files = [paths.clone(), referenced].concat();
    let mut folders = HashSet::new();
    watch(watcher.as_mut(), &watched, &mut folders, &files);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let signalled = settle(&mut rx, &files).await || first == Trigger::Signal;
            let why = if signalled { "SIGHUP" } else { "a config file changed" };
            if let Some(referenced) = reload(&paths, &live, &metrics, listen, why) {
                files = [paths.clone(), referenced].concat();
                watch(watcher.as_mut(), &watched, &mut folders, &files);
            }
        }
    })
}

/// Wait until `files` have stayed the same for [`SETTLE`] — read twice, that long apart, with no change reported
/// in between; whether a SIGHUP came meanwhile.
async fn settle(rx: &mut tokio::sync::mpsc::Receiver<Trigger>, files: &[PathBuf]) -> bool {
    let mut signalled = false;
    let mut before = contents(files);
    for _ in 0..MAX_SETTLE_ROUNDS {
        tokio::time::sleep(SETTLE).await;
        let mut reported = false;
        while let Ok(trigger) = rx.try_recv() {
            reported = true;
            signalled |= trigger == Trigger::Signal;
        }
        let now = contents(files);
        if !reported && now == before {
            return signalled;
        }
        before = now;
    }
    tracing::warn!("config files kept changing; reading them as they are");
    signalled
}

/// The files' contents (small files: config, certificates, keys, secrets), `None` for one that cannot be read.
fn contents(files: &[PathBuf]) -> Vec<Option<Vec<u8>>> {
    files.iter().map(|f| std::fs::read(f).ok()).collect()
}

/// The files whose changes reload the config, and how change events name them.
#[derive(Debug, Default)]
struct Watched {
    /// Each file as given (made absolute) and as resolved through symbolic links.
    files: HashSet<PathBuf>,
    /// Their names: an event under another name (a log written next to the config) is dismissed before any path
    /// is resolved.
    names: HashSet<OsString>,
    /// The folders they are in.
    folders: HashSet<PathBuf>,
}

impl Watched {
    fn of(paths: &[PathBuf]) -> Self {
        let mut w = Watched::default();
        for path in paths {
            let given = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            for file in std::iter::once(given).chain(std::fs::canonicalize(path).ok()) {
                if let Some(name) = file.file_name() {
                    w.names.insert(name.to_owned());
                }
                if let Some(folder) = file.parent() {
                    w.folders.insert(folder.to_owned());
                }
                w.files.insert(file);
            }
        }
        w
    }

    /// Whether a change at `path` is a change to one of the files.
    fn matches(&self, path: &Path) -> bool {
        let Some(name) = path.file_name() else {
            return false;
        };
        // Kubernetes updates a mounted Secret or ConfigMap by swapping the `..data` link in its folder.
        if name == "..data" {
            return path.parent().is_some_and(|f| self.folders.contains(f));
        }
        self.names.contains(name)
            && (self.files.contains(path) || std::fs::canonicalize(path).is_ok_and(|p| self.files.contains(&p)))
    }
}

/// Watch the folders of `files` (editors, config managers and certificate tools replace files by renaming, so
/// folders are watched, not files), and no others.
fn watch(
    watcher: Option<&mut notify::RecommendedWatcher>,
    watched: &Mutex<Watched>,
    folders: &mut HashSet<PathBuf>,
    files: &[PathBuf],
) {
    let now = Watched::of(files);
    if let Some(watcher) = watcher {
        for gone in folders.difference(&now.folders) {
            let _ = watcher.unwatch(gone);
        }
        for folder in now.folders.difference(folders) {
            if let Err(e) = watcher.watch(folder, notify::RecursiveMode::NonRecursive) {
                tracing::warn!(folder = %folder.display(), error = %e, "config folder cannot be watched");
            }
        }
    }
    folders.clone_from(&now.folders);
    *crate::sync::lock(watched) = now;
}

/// Load, validate and swap in the config at `paths`; the previous one stays when anything fails. The files the
/// loaded config references, when it could be loaded.
pub fn reload(
    paths: &[PathBuf],
    live: &Live,
    metrics: &Arc<Metrics>,
    listen: SocketAddr,
    why: &str,
) -> Option<Vec<PathBuf>> {
    let file = config::load(paths);
    let referenced = file.as_ref().ok().map(config::ConfigFile::referenced_files);
    let outcome = file.and_then(|file| config::revalidate(&file, &live.gateway()));
    match outcome {
        Ok(runtime) => {
            if runtime.listen != listen {
                tracing::warn!(configured = %runtime.listen, serving = %listen, "server.listen changes only on restart");
            }
            let tenants = runtime.gateway.tenants.len();
            // A changed [shared] connects anew, in the background; an unchanged one goes on as it was.
            if let Some(shared) = &runtime.gateway.shared {
                shared.start();
            }
            live.swap(Arc::new(runtime.gateway), runtime.tls);
            count(metrics, "applied");
            tracing::info!(reason = why, tenants, "config reloaded");
        }
        Err(e) => {
            count(metrics, "rejected");
            tracing::error!(reason = why, error = %e, "config reload rejected; the previous config stays in force");
        }
    }
    referenced
}

fn count(metrics: &Metrics, outcome: &str) {
    metrics
        .reloads
        .get_or_create(&ReloadLabels {
            outcome: outcome.to_owned(),
        })
        .inc();
}

#[cfg(test)]
mod tests {
    use crate::config::{self, ConfigFile};
    use crate::gateway::Gateway;
    use crate::tenant::Tenant;
    use std::sync::Arc;

    const MAPPING: &str = include_str!("../config/examples/classic.toml");

    /// Two tenants on one product; `b`'s upstream and rate limit, and the cache limits, as given.
    fn file(b_base: &str, b_burst: u32, cache_entries: u64, auth_limit: u32) -> ConfigFile {
        let digest = |t: &str| crate::token::TokenHash::of(t).to_config();
        let tenant = |id: &str, base: &str, burst: u32| {
            format!(
                "[[tenants]]\nid = {id:?}\ntokens = [{:?}]\nmapping = \"classic\"\n\
                 rate_limit = {{ per_second = 1, burst = {burst} }}\nupstream = {{ base_url = {base:?} }}\n",
                digest(id)
            )
        };
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nplaintext = true\n\
             [limits]\ncache_entries = {cache_entries}\nauth_failure_limit = {auth_limit}\n{}{}{MAPPING}",
            tenant("a", "http://127.0.0.1:9/api", 5),
            tenant("b", b_base, b_burst),
        );
        config::from_toml(&text).expect("config")
    }

    fn tenant<'g>(gw: &'g Gateway, id: &str) -> &'g Tenant {
        gw.tenants.iter().find(|t| t.id.as_str() == id).expect("tenant")
    }

    fn reloaded(before: &Gateway, file: &ConfigFile) -> Gateway {
        config::revalidate(file, before).expect("valid").gateway
    }

    #[test]
    fn changes_to_the_config_and_the_files_it_references_are_watched_and_others_are_not() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (config_path, secret, cert) = (
            dir.path().join("scimgate.toml"),
            dir.path().join("key"),
            dir.path().join("tls.crt"),
        );
        for f in [&config_path, &secret, &cert] {
            std::fs::write(f, "x").expect("write");
        }
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\ntls = {{ cert = {:?}, key = {:?} }}\n\
             [[tenants]]\nid = \"a\"\ntokens = []\nmapping = \"m\"\n\
             upstream = {{ base_url = \"http://127.0.0.1:9\", auth = {{ secret = {:?} }} }}\n",
            cert.display().to_string(),
            cert.display().to_string(),
            format!("file:{}", secret.display()),
        );
        let referenced = config::from_toml(&text).expect("loads").referenced_files();
        assert_eq!(referenced, vec![cert.clone(), cert.clone(), secret.clone()]);
        let watched = super::Watched::of(&[vec![config_path.clone()], referenced].concat());
        for ours in [&config_path, &secret, &cert] {
            assert!(watched.matches(ours), "{}", ours.display());
        }
        assert!(
            watched.matches(&dir.path().join("..data")),
            "a Kubernetes volume's swap"
        );
        assert!(!watched.matches(&dir.path().join("gateway.log")));
        assert!(
            !watched.matches(&dir.path().join("sub").join("key")),
            "the name alone is not enough"
        );
    }

    #[test]
    fn an_unchanged_tenant_keeps_its_bucket_and_id_cache() {
        let before = config::validate(&file("http://127.0.0.1:9/api", 5, 1000, 10))
            .expect("valid")
            .gateway;
        let after = reloaded(&before, &file("http://127.0.0.1:9/api", 5, 1000, 10));
        let (old, new) = (tenant(&before, "a"), tenant(&after, "a"));
        assert!(Arc::ptr_eq(&old.cache, &new.cache), "the id cache is the same");
        for _ in 0..5 {
            assert!(old.rate_limit.check().is_ok());
        }
        assert!(
            new.rate_limit.check().is_err(),
            "the bucket emptied before the reload stays empty"
        );
    }

    #[test]
    fn a_changed_rate_limit_gets_a_fresh_bucket_and_keeps_the_id_cache() {
        let before = config::validate(&file("http://127.0.0.1:9/api", 5, 1000, 10))
            .expect("valid")
            .gateway;
        for _ in 0..5 {
            assert!(tenant(&before, "b").rate_limit.check().is_ok());
        }
        let after = reloaded(&before, &file("http://127.0.0.1:9/api", 6, 1000, 10));
        let (old, new) = (tenant(&before, "b"), tenant(&after, "b"));
        for _ in 0..6 {
            assert!(new.rate_limit.check().is_ok(), "a fresh bucket of 6");
        }
        assert!(Arc::ptr_eq(&old.cache, &new.cache));
    }

    #[test]
    fn a_changed_product_mapping_or_cache_limit_gets_a_fresh_id_cache() {
        let before = config::validate(&file("http://127.0.0.1:9/api", 5, 1000, 10))
            .expect("valid")
            .gateway;
        let moved = reloaded(&before, &file("http://127.0.0.1:9/api/v2", 5, 1000, 10));
        assert!(!Arc::ptr_eq(&tenant(&before, "b").cache, &tenant(&moved, "b").cache));
        assert!(Arc::ptr_eq(&tenant(&before, "a").cache, &tenant(&moved, "a").cache));
        let resized = reloaded(&before, &file("http://127.0.0.1:9/api", 5, 2000, 10));
        assert!(!Arc::ptr_eq(&tenant(&before, "a").cache, &tenant(&resized, "a").cache));
        let mut remapped = file("http://127.0.0.1:9/api", 5, 1000, 10);
        let classic = remapped.mappings.get_mut("classic").expect("classic");
        classic.headers.insert("X-Client".into(), "scimgate".into());
        let remapped = reloaded(&before, &remapped);
        assert!(!Arc::ptr_eq(&tenant(&before, "a").cache, &tenant(&remapped, "a").cache));
    }

    #[test]
    fn the_failed_authentication_throttle_keeps_its_counts() {
        let before = config::validate(&file("http://127.0.0.1:9/api", 5, 1000, 2))
            .expect("valid")
            .gateway;
        let client = crate::ratelimit::Attempt::new([10, 0, 0, 1].into(), Some(b"Bearer wrong"));
        before.auth_throttle.failed(client.clone()).expect("counted");
        before.auth_throttle.failed(client.clone()).expect("counted");
        assert!(before.auth_throttle.failed(client.clone()).is_err());
        let after = reloaded(&before, &file("http://127.0.0.1:9/api", 5, 1000, 2));
        assert!(
            after.auth_throttle.failed(client).is_err(),
            "still refused after the reload"
        );
    }
}
