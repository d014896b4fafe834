//! Hot reload and graceful shutdown of a real `scimgate run` process: a new token is admitted after SIGHUP (and
//! after a file change), a dated token stops at its time, a broken config is rejected while the old one keeps
//! serving, and SIGTERM lets an in-flight request finish.

mod common;

use scimgate::sample::{SampleOptions, SampleProduct};
use std::path::Path;
use std::time::{Duration, Instant};

fn config(product: &str, key_file: &Path, tokens: &str) -> String {
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nplaintext = true\n[admin]\nlisten = \"127.0.0.1:0\"\n\
         [[tenants]]\nid = \"r\"\ntokens = [{tokens}]\nmapping = \"classic\"\n\
         upstream = {{ base_url = {product:?}, auth = {{ header = \"X-Api-Key\", secret = {secret:?} }} }}\n",
        secret = format!("file:{}", key_file.display()),
    )
}

fn digest(token: &str) -> String {
    format!("{:?}", scimgate::token::TokenHash::of(token).to_config())
}

async fn status(base: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/Users"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

async fn until(base: &str, token: &str, want: u16) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if status(base, token).await == want {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

const MAPPING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples/classic.toml");

#[tokio::test]
async fn reload_admits_new_tokens_and_rejects_broken_configs_while_serving() {
    let product = SampleProduct::start(SampleOptions {
        api_key: "rk".into(),
        ..SampleOptions::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "rk").unwrap();
    let path = dir.path().join("scimgate.toml");
    let (a, b, c) = (
        scimgate::token::new_token(),
        scimgate::token::new_token(),
        scimgate::token::new_token(),
    );
    std::fs::write(&path, config(&product.base_url(), &key, &digest(&a))).unwrap();
    let gateway = common::process::run(&path, MAPPING, "info").await;
    let base = gateway.base.clone();
    let pid = gateway.child.id().unwrap();
    assert_eq!(status(&base, &a).await, 200);
    assert_eq!(status(&base, &b).await, 401);

    // B is added, C is dated in the past; the file change alone triggers the reload.
    let dated = format!("{{ digest = {}, not_after = \"2020-01-01T00:00:00Z\" }}", digest(&c));
    let tokens = format!("{}, {}, {dated}", digest(&a), digest(&b));
    std::fs::write(&path, config(&product.base_url(), &key, &tokens)).unwrap();
    assert!(
        until(&base, &b, 200).await,
        "the new token is admitted after the file changed"
    );
    let expired = reqwest::Client::new()
        .get(format!("{base}/Users"))
        .bearer_auth(&c)
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);
    assert!(expired.text().await.unwrap().contains("expired"));

    // A broken config is rejected: serving goes on with the last good one.
    std::fs::write(&path, config(&product.base_url(), &key, "\"sha256:nothex\"")).unwrap();
    signal(pid, "-HUP");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(status(&base, &a).await, 200);
    assert_eq!(status(&base, &b).await, 200);

    // Back to A alone, by SIGHUP: B is refused again.
    std::fs::write(&path, config(&product.base_url(), &key, &digest(&a))).unwrap();
    signal(pid, "-HUP");
    assert!(
        until(&base, &b, 401).await,
        "the removed token is refused after the reload"
    );
    assert_eq!(status(&base, &a).await, 200);
    let log = gateway.stop().await;
    assert!(log.contains("config reload rejected"), "{log}");
    assert!(log.contains("config reloaded"), "{log}");
}

#[tokio::test]
async fn sigterm_drains_an_in_flight_request() {
    let product = SampleProduct::start(SampleOptions {
        api_key: "dk".into(),
        delay: Some(Duration::from_millis(1500)),
        ..SampleOptions::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "dk").unwrap();
    let path = dir.path().join("scimgate.toml");
    let token = scimgate::token::new_token();
    std::fs::write(&path, config(&product.base_url(), &key, &digest(&token))).unwrap();
    let mut gateway = common::process::run(&path, MAPPING, "info").await;
    let base = gateway.base.clone();
    let pid = gateway.child.id().unwrap();
    let slow = tokio::spawn(async move { status(&base, &token).await });
    tokio::time::sleep(Duration::from_millis(400)).await;
    signal(pid, "-TERM");
    assert_eq!(slow.await.unwrap(), 200, "the request in flight finished");
    let exit = tokio::time::timeout(Duration::from_secs(10), gateway.child.wait()).await;
    assert!(exit.is_ok_and(|s| s.is_ok()), "the process ended after draining");
}
