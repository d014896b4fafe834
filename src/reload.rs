//! Hot reload: on SIGHUP, and when a config file changes, the config is loaded and validated anew and, only if
//! it is valid, swapped in whole (tenants, tokens, mappings, limits, TLS certificates). A config that fails is
//! logged and counted, and the previous one stays in force. In-flight requests finish on the runtime they began
//! with. The listen addresses and listener limits are read at start; changing them needs a restart (logged).
//!
//! State outlives a reload where the settings it depends on did not change ([`config::revalidate`]): a tenant
//! keeps its rate-limit bucket while its rate limit is the same, and its id cache while its product base URL, its
//! mapping and the cache limits are; the failed-authentication throttle always keeps its counts.

use crate::config;
use crate::metrics::{Metrics, ReloadLabels};
use crate::server::Live;
use notify::Watcher;
use std::collections::HashSet;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Reload `paths` into `live` whenever asked, until the process ends.
pub async fn run(paths: Vec<PathBuf>, live: Arc<Live>, metrics: Arc<Metrics>, listen: SocketAddr) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<&'static str>(8);
    #[cfg(unix)]
    {
        let tx = tx.clone();
        tokio::spawn(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let Ok(mut hup) = signal(SignalKind::hangup()) else {
                return tracing::warn!("SIGHUP cannot be watched; reload by file change only");
            };
            while hup.recv().await.is_some() {
                let _ = tx.send("SIGHUP").await;
            }
        });
    }
    // Editors and config managers replace files by renaming: watch the folders, and keep events for our files.
    let files: HashSet<PathBuf> = paths.iter().filter_map(|p| std::fs::canonicalize(p).ok()).collect();
    let folders: HashSet<PathBuf> = files.iter().filter_map(|f| f.parent().map(PathBuf::from)).collect();
    // The names a change to our files can arrive under: theirs and those of the paths given (symbolic links).
    // Other files in the folders (a log written next to the config) change often, and are dismissed by name
    // before any path is resolved.
    let names: Vec<OsString> = files
        .iter()
        .chain(paths.iter())
        .filter_map(|p| p.file_name().map(OsString::from))
        .collect();
    let on_change = tx.clone();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let ours = event
            .paths
            .iter()
            .filter(|p| p.file_name().is_some_and(|name| names.iter().any(|ours| ours == name)))
            .any(|p| files.contains(p) || std::fs::canonicalize(p).is_ok_and(|p| files.contains(&p)));
        if ours && (event.kind.is_modify() || event.kind.is_create()) {
            let _ = on_change.try_send("config file changed");
        }
    });
    let _watcher = match watcher {
        Ok(mut w) => {
            for folder in &folders {
                if let Err(e) = w.watch(folder, notify::RecursiveMode::NonRecursive) {
                    tracing::warn!(folder = %folder.display(), error = %e, "config folder cannot be watched");
                }
            }
            Some(w)
        }
        Err(e) => {
            tracing::warn!(error = %e, "config files cannot be watched; reload with SIGHUP");
            None
        }
    };
    drop(tx);
    while let Some(why) = rx.recv().await {
        // A save is often several events: let them settle, then reload once.
        tokio::time::sleep(Duration::from_millis(200)).await;
        while rx.try_recv().is_ok() {}
        reload(&paths, &live, &metrics, listen, why);
    }
}

/// Load, validate and swap in the config at `paths`; the previous one stays when anything fails.
pub fn reload(paths: &[PathBuf], live: &Live, metrics: &Arc<Metrics>, listen: SocketAddr, why: &str) {
    let outcome = config::load(paths).and_then(|file| config::revalidate(&file, &live.gateway()));
    match outcome {
        Ok(runtime) => {
            if runtime.listen != listen {
                tracing::warn!(configured = %runtime.listen, serving = %listen, "server.listen changes only on restart");
            }
            let tenants = runtime.gateway.tenants.len();
            live.swap(Arc::new(runtime.gateway), runtime.tls);
            count(metrics, "applied");
            tracing::info!(reason = why, tenants, "config reloaded");
        }
        Err(e) => {
            count(metrics, "rejected");
            tracing::error!(reason = why, error = %e, "config reload rejected; the previous config stays in force");
        }
    }
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
