//! Hot reload and graceful shutdown of a real `scimgate run` process: a new token is admitted after SIGHUP (and
//! after a file change), a dated token stops at its time, a broken config is rejected while the old one keeps
//! serving, a config caught half-written is not applied, a renewed certificate and a rotated `file:` secret are
//! picked up without SIGHUP, SIGHUP reopens a rotated audit file, a tenant whose settings did not change keeps its
//! rate-limit bucket and id cache, and SIGTERM lets an in-flight request finish.

mod common;

use scimgate::sample::{SampleOptions, SampleProduct};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn config(product: &str, key_file: &Path, tokens: &str) -> String {
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nplaintext = true\n[admin]\nlisten = \"127.0.0.1:0\"\n\
         [[tenants]]\nid = \"r\"\ntokens = [{tokens}]\nmapping = \"classic\"\n\
         upstream = {{ base_url = {product:?}, auth = {{ header = \"X-Api-Key\", secret = {secret:?} }} }}\n",
        secret = format!("file:{}", key_file.display()),
    )
}

/// A sample product taking the API key `rk`, a temporary folder, and the key's file in it.
async fn keyed_product() -> (SampleProduct, tempfile::TempDir, std::path::PathBuf) {
    let product = SampleProduct::start(SampleOptions {
        api_key: "rk".into(),
        ..SampleOptions::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "rk").unwrap();
    (product, dir, key)
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
    let (product, dir, key) = keyed_product().await;
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
    let (product, dir, key) = keyed_product().await;
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

/// Poll `check` every 100 ms for up to 10 s.
async fn eventually<F: std::future::Future<Output = bool>>(mut check: impl FnMut() -> F) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn a_config_written_in_steps_is_applied_only_once_it_is_whole() {
    let (product, dir, key) = keyed_product().await;
    let path = dir.path().join("scimgate.toml");
    let (a, b) = (scimgate::token::new_token(), scimgate::token::new_token());
    std::fs::write(&path, config(&product.base_url(), &key, &digest(&a))).unwrap();
    let gateway = common::process::run(&path, MAPPING, "info").await;
    let base = gateway.base.clone();
    assert_eq!(status(&base, &a).await, 200);

    // Written in place, in steps a little apart, as a slow writer would: each step so far is valid TOML, and a
    // valid config with no tenant until the last one.
    let whole = config(&product.base_url(), &key, &format!("{}, {}", digest(&a), digest(&b)));
    let at = whole.find("[[tenants]]").unwrap();
    let mut file = std::fs::File::create(&path).unwrap();
    let mut steps = vec![whole[..at].to_owned()];
    steps.extend((0..4).map(|i| format!("# step {i}\n")));
    steps.push(whole[at..].to_owned());
    for step in steps {
        use std::io::Write as _;
        file.write_all(step.as_bytes()).unwrap();
        file.flush().unwrap();
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    drop(file);
    assert!(until(&base, &b, 200).await, "the whole config is applied");
    assert_eq!(status(&base, &a).await, 200);
    let log = gateway.stop().await;
    let applied: Vec<&str> = log.lines().filter(|l| l.contains("config reloaded")).collect();
    assert!(!applied.is_empty(), "{log}");
    assert!(
        applied.iter().all(|l| l.contains("\"tenants\":1")),
        "a half-written config was applied: {applied:?}"
    );
}

#[tokio::test]
async fn a_renewed_certificate_is_served_to_new_connections_without_sighup() {
    let product = SampleProduct::start(SampleOptions {
        api_key: "rk".into(),
        ..SampleOptions::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (first, second, live) = (dir.path().join("1"), dir.path().join("2"), dir.path().join("live"));
    for d in [&first, &second, &live] {
        std::fs::create_dir(d).unwrap();
    }
    let (old, new) = (
        scimgate::demo::generate_certs(&first).unwrap(),
        scimgate::demo::generate_certs(&second).unwrap(),
    );
    let (cert, key_pem) = (live.join("tls.crt"), live.join("tls.key"));
    std::fs::copy(&old.cert, &cert).unwrap();
    std::fs::copy(&old.key, &key_pem).unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "rk").unwrap();
    let path = dir.path().join("scimgate.toml");
    let token = scimgate::token::new_token();
    let text = config(&product.base_url(), &key, &digest(&token)).replace(
        "plaintext = true",
        &format!(
            "tls = {{ cert = {:?}, key = {:?} }}",
            cert.display().to_string(),
            key_pem.display().to_string()
        ),
    );
    std::fs::write(&path, text).unwrap();
    let gateway = common::process::run(&path, MAPPING, "info").await;
    let base = gateway.base.replace("http://", "https://");
    // A client trusting only one CA; no pooled connections, so each request makes a new one.
    let trusting = |ca: &Path| {
        let pem = std::fs::read(ca).unwrap();
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    };
    let (trusts_old, trusts_new) = (trusting(&old.ca), trusting(&new.ca));
    let handshake = |client: &reqwest::Client| {
        let req = client.get(format!("{base}/Users")).bearer_auth(&token);
        async move { req.send().await.is_ok_and(|r| r.status() == 200) }
    };
    assert!(handshake(&trusts_old).await);
    assert!(!handshake(&trusts_new).await);

    // Renewed as a certificate tool does it: the files are rewritten in place; no signal.
    std::fs::copy(&new.cert, &cert).unwrap();
    std::fs::copy(&new.key, &key_pem).unwrap();
    assert!(
        eventually(|| handshake(&trusts_new)).await,
        "new connections get the renewed certificate"
    );
    assert!(!handshake(&trusts_old).await);
    let log = gateway.stop().await;
    assert!(log.contains("a config file changed"), "{log}");
}

/// A product that answers every users listing with none, keeping the `X-Api-Key` of each request.
async fn key_recorder() -> (String, Arc<Mutex<Vec<String>>>) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let keys: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = keys.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let key = req
                        .headers()
                        .get("x-api-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    seen.lock().unwrap().push(key.to_owned());
                    let body = serde_json::json!({"data": [], "meta": {"total": 0}}).to_string();
                    async move {
                        Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(
                            bytes::Bytes::from(body),
                        )))
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (format!("http://{addr}/api/v1"), keys)
}

#[tokio::test]
async fn a_rotated_file_secret_is_used_by_the_next_product_call_without_sighup() {
    let (product, keys) = key_recorder().await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "first-key").unwrap();
    let path = dir.path().join("scimgate.toml");
    let token = scimgate::token::new_token();
    std::fs::write(&path, config(&product, &key, &digest(&token))).unwrap();
    let gateway = common::process::run(&path, MAPPING, "info").await;
    let base = gateway.base.clone();
    assert_eq!(status(&base, &token).await, 200);
    assert_eq!(keys.lock().unwrap().last().map(String::as_str), Some("first-key"));

    std::fs::write(&key, "second-key\n").unwrap();
    let rotated = eventually(|| {
        let (base, token, keys) = (base.clone(), token.clone(), keys.clone());
        async move {
            status(&base, &token).await == 200 && keys.lock().unwrap().last().map(String::as_str) == Some("second-key")
        }
    })
    .await;
    assert!(rotated, "the product got {:?}", keys.lock().unwrap());
    gateway.stop().await;
}

#[tokio::test]
async fn sighup_reopens_a_rotated_audit_file() {
    let (product, dir, key) = keyed_product().await;
    let (trail, rotated) = (dir.path().join("audit.jsonl"), dir.path().join("audit.jsonl.1"));
    let path = dir.path().join("scimgate.toml");
    let token = scimgate::token::new_token();
    let text = format!(
        "{}[audit]\noutput = {:?}\n",
        config(&product.base_url(), &key, &digest(&token)),
        trail.display().to_string()
    );
    std::fs::write(&path, text).unwrap();
    let gateway = common::process::run(&path, MAPPING, "info").await;
    let base = gateway.base.clone();
    let pid = gateway.child.id().unwrap();
    let create = |name: &str| {
        reqwest::Client::new()
            .post(format!("{base}/Users"))
            .bearer_auth(&token)
            .json(&common::user(name, "A", "B"))
            .send()
    };
    assert_eq!(create("one@example.com").await.unwrap().status(), 201);
    let lines = |p: &Path| std::fs::read_to_string(p).map(|t| t.lines().count()).unwrap_or(0);
    assert_eq!(lines(&trail), 1);

    // logrotate: rename, then SIGHUP.
    std::fs::rename(&trail, &rotated).unwrap();
    signal(pid, "-HUP");
    assert!(
        eventually(|| std::future::ready(trail.exists())).await,
        "a new file is opened at the configured path"
    );
    assert_eq!(create("two@example.com").await.unwrap().status(), 201);
    assert_eq!(lines(&trail), 1, "the new line is in the new file");
    assert_eq!(lines(&rotated), 1, "the rotated file keeps its line alone");
    gateway.stop().await;
}
