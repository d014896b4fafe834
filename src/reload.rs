//! Hot reload: on SIGHUP, and when a config file changes, the config is loaded and validated anew and, only if
//! it is valid, swapped in whole (tenants, tokens, mappings, limits, TLS certificates). A config that fails is
//! logged and counted, and the previous one stays in force. In-flight requests finish on the runtime they began
//! with. The listen addresses and listener limits are read at start; changing them needs a restart (logged).

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
    let outcome = config::load(paths).and_then(|file| config::validate_with(&file, metrics.clone()));
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
