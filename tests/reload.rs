//! Hot reload and graceful shutdown of a real `scimgate run` process: a new token is admitted after SIGHUP (and
//! after a file change), a dated token stops at its time, a broken config is rejected while the old one keeps
//! serving, a tenant whose settings did not change keeps its rate-limit bucket and id cache, and SIGTERM lets an
//! in-flight request finish.

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

/// Two tenants on one product, `keep` and `change`, each allowing 1 request a second after a burst.
fn two_tenants(product: &str, key_file: &Path, keep: &str, change: &str, change_burst: u32) -> String {
    let tenant = |id: &str, token: &str, burst: u32| {
        format!(
            "[[tenants]]\nid = {id:?}\ntokens = [{}]\nmapping = \"classic\"\n\
             rate_limit = {{ per_second = 1, burst = {burst} }}\n\
             upstream = {{ base_url = {product:?}, auth = {{ header = \"X-Api-Key\", secret = {secret:?} }} }}\n",
            digest(token),
            secret = format!("file:{}", key_file.display()),
        )
    };
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nplaintext = true\n[admin]\nlisten = \"127.0.0.1:0\"\n{}{}",
        tenant("keep", keep, 20),
        tenant("change", change, change_burst)
    )
}

async fn get(base: &str, token: &str, path: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// How many of `n` requests in a row are admitted.
async fn admitted(base: &str, token: &str, n: usize) -> usize {
    let mut ok = 0;
    for _ in 0..n {
        ok += usize::from(get(base, token, "/ServiceProviderConfig").await == 200);
    }
    ok
}

/// The product calls a `userName eq` lookup makes, waiting out the rate limit.
async fn lookup_calls(base: &str, token: &str, product: &SampleProduct) -> Vec<(String, String)> {
    let path = "/Users?filter=userName%20eq%20%22ada%40example.com%22";
    let before = product.request_log().len();
    let start = Instant::now();
    while get(base, token, path).await == 429 {
        assert!(start.elapsed() < Duration::from_secs(10), "still limited");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    product.request_log()[before..].to_vec()
}

#[tokio::test]
async fn reload_keeps_the_bucket_and_id_cache_of_an_unchanged_tenant_and_resets_a_changed_rate_limit() {
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
    let (keep, change) = (scimgate::token::new_token(), scimgate::token::new_token());
    std::fs::write(&path, two_tenants(&product.base_url(), &key, &keep, &change, 20)).unwrap();
    let gateway = common::process::run(&path, MAPPING, "info").await;
    let base = gateway.base.clone();
    let pid = gateway.child.id().unwrap();
    let created = reqwest::Client::new()
        .post(format!("{base}/Users"))
        .bearer_auth(&keep)
        .json(&common::user("ada@example.com", "Ada", "Lovelace"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id: String = created.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_id = |calls: &[(String, String)]| {
        calls.len() == 1 && calls[0].0 == "GET" && calls[0].1.ends_with(&format!("/users/{id}"))
    };
    // Both tenants' caches know ada: `keep` from the create, `change` from its first lookup.
    assert!(by_id(&lookup_calls(&base, &keep, &product).await));
    lookup_calls(&base, &change, &product).await;
    assert!(by_id(&lookup_calls(&base, &change, &product).await));
    // Both buckets emptied.
    admitted(&base, &keep, 25).await;
    admitted(&base, &change, 25).await;

    // Only `change`'s burst changes.
    std::fs::write(&path, two_tenants(&product.base_url(), &key, &keep, &change, 21)).unwrap();
    signal(pid, "-HUP");
    // A fresh bucket admits ten in a row; the emptied one, refilling at one a second, cannot.
    let start = Instant::now();
    while admitted(&base, &change, 1).await == 0 || admitted(&base, &change, 9).await < 9 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "change's bucket was not reset"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        admitted(&base, &keep, 20).await < 20,
        "keep's emptied bucket was refilled by the reload"
    );
    // The id caches survive: a lookup is still one read by id.
    assert!(
        by_id(&lookup_calls(&base, &keep, &product).await),
        "keep's id cache was emptied"
    );
    assert!(
        by_id(&lookup_calls(&base, &change, &product).await),
        "change's id cache was emptied"
    );
    let log = gateway.stop().await;
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
