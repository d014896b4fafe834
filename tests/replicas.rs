//! Several `scimgate run` processes behind one name, sharing one sample product and one real Redis (`[shared]`):
//! a tenant's rate limit and the failed-authentication throttle hold across replicas, a rename through one
//! replica is followed by another at once, and Redis going away leaves every replica answering on its local
//! share until it is back.

mod common;

use common::process::{self, Process};
use common::redis::RedisServer;
use reqwest::{Method, StatusCode};
use scimgate::sample::{SampleOptions, SampleProduct, Shape};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A tenant of the replicas: its name, rate and burst.
struct TenantRate(&'static str, u32, u32);

/// Replicas of one config, with their admin listeners, and the tenants' tokens.
struct Replicas {
    procs: Vec<Process>,
    admins: Vec<String>,
    tokens: Vec<(&'static str, String)>,
    client: reqwest::Client,
    _product: SampleProduct,
    _dir: tempfile::TempDir,
}

/// `n` replicas in front of one sample product of `shape`, sharing `shared` (a `[shared]` table's body).
async fn replicas(n: usize, shape: Shape, tenants: &[TenantRate], shared: &str) -> Replicas {
    let dir = tempfile::tempdir().expect("temp dir");
    let product = SampleProduct::start(SampleOptions {
        api_key: "product-key".into(),
        shape,
        ..SampleOptions::default()
    })
    .await
    .expect("sample product");
    let key_file = dir.path().join("product.key");
    std::fs::write(&key_file, "product-key").expect("key file");
    let auth = match shape {
        Shape::Named => "header = \"Authorization\", scheme = \"Bearer\"",
        _ => "header = \"X-Api-Key\"",
    };
    let mut config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nplaintext = true\n[admin]\nlisten = \"127.0.0.1:0\"\n\
         [limits]\nauth_failure_limit = 3\n[shared]\n{shared}\n"
    );
    let mut tokens = Vec::new();
    for TenantRate(id, per_second, burst) in tenants {
        let token = scimgate::token::new_token();
        config.push_str(&format!(
            "[[tenants]]\nid = {id:?}\ntokens = [{digest:?}]\nmapping = {mapping:?}\n\
             rate_limit = {{ per_second = {per_second}, burst = {burst} }}\n\
             upstream = {{ base_url = {base:?}, auth = {{ {auth}, secret = \"file:{key}\" }} }}\n",
            digest = scimgate::token::TokenHash::of(&token).to_config(),
            mapping = shape.as_str(),
            base = product.base_url(),
            key = key_file.display(),
        ));
        tokens.push((*id, token));
    }
    let path = dir.path().join("scimgate.toml");
    std::fs::write(&path, config).expect("config");
    let mapping = format!("{}/config/examples/{}.toml", env!("CARGO_MANIFEST_DIR"), shape.as_str());
    let mut procs = Vec::new();
    let mut admins = Vec::new();
    for _ in 0..n {
        let p = process::run(&path, &mapping, "info,scimgate::router=warn").await;
        let line = p
            .log
            .lines()
            .find(|l| l.contains("serving health and metrics"))
            .expect("admin address logged");
        let at = line.find("127.0.0.1:").expect("admin address");
        let rest = &line[at..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
            .unwrap_or(rest.len());
        admins.push(format!("http://{}", &rest[..end]));
        procs.push(p);
    }
    Replicas {
        procs,
        admins,
        tokens,
        client: reqwest::Client::new(),
        _product: product,
        _dir: dir,
    }
}

impl Replicas {
    /// A request of `tenant` to replica `i`.
    fn req(&self, i: usize, tenant: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        let token = &self.tokens.iter().find(|(id, _)| *id == tenant).expect("tenant").1;
        self.client
            .request(method, format!("{}{path}", self.procs[i].base))
            .bearer_auth(token)
            .timeout(Duration::from_secs(5))
    }

    /// The status of a cheap request (no product call) of `tenant` to replica `i`.
    async fn status(&self, i: usize, tenant: &str) -> StatusCode {
        self.req(i, tenant, Method::GET, "/ServiceProviderConfig")
            .send()
            .await
            .expect("the replica answers")
            .status()
    }

    /// Wait until every replica's `scimgate_shared_state_up` is `up`.
    async fn wait_shared(&self, up: bool) {
        let want = format!("scimgate_shared_state_up {}", u8::from(up));
        for admin in &self.admins {
            let seen = tokio::time::timeout(Duration::from_secs(15), async {
                loop {
                    let metrics = self.client.get(format!("{admin}/metrics")).send().await;
                    if let Ok(m) = metrics
                        && m.text().await.is_ok_and(|t| t.lines().any(|l| l == want))
                    {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
            .await;
            assert!(seen.is_ok(), "{admin} never reported {want}");
        }
    }

    /// Stop every replica and return their logs.
    async fn stop(self) -> Vec<String> {
        let mut logs = Vec::new();
        for p in self.procs {
            logs.push(p.stop().await);
        }
        logs
    }
}

/// The `[shared]` body for `redis`, its password in a file under `dir`.
fn shared_table(redis: &RedisServer, dir: &std::path::Path, extra: &str) -> String {
    let mut table = format!("redis = {:?}\ntimeout_ms = 500\n{extra}\n", redis.url());
    if let Some(ca) = &redis.ca {
        table.push_str(&format!("ca = {:?}\n", ca.display().to_string()));
    }
    if let Some(p) = &redis.password {
        let file = dir.join("redis.password");
        std::fs::write(&file, p).expect("password file");
        table.push_str(&format!("password = \"file:{}\"\n", file.display()));
    }
    table
}

async fn bounded<F: std::future::Future>(secs: u64, test: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(secs), test)
        .await
        .expect("finished in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tenants_limit_holds_across_three_replicas() {
    bounded(90, async {
        let redis = RedisServer::start(Some("redis-secret")).await;
        let secrets = tempfile::tempdir().unwrap();
        // Each replica alone would admit the whole rate: only the shared limit keeps the three to one.
        let shared = shared_table(&redis, secrets.path(), "local_share = 1.0");
        let (rate, burst) = (20, 10);
        let r = replicas(3, Shape::Classic, &[TenantRate("acme", rate, burst)], &shared).await;
        r.wait_shared(true).await;
        // Three clients, one per replica, as fast as they can for three seconds.
        let started = Instant::now();
        let run_for = Duration::from_secs(3);
        let loads = (0..3).map(|i| {
            let r = &r;
            async move {
                let (mut admitted, mut refused) = (0u32, 0u32);
                while started.elapsed() < run_for {
                    match r.status(i, "acme").await {
                        StatusCode::OK => admitted += 1,
                        StatusCode::TOO_MANY_REQUESTS => refused += 1,
                        other => panic!("replica {i} answered {other}"),
                    }
                }
                (admitted, refused)
            }
        });
        let counts = futures_util::future::join_all(loads).await;
        let elapsed = started.elapsed().as_secs_f64();
        let admitted: u32 = counts.iter().map(|c| c.0).sum();
        let refused: u32 = counts.iter().map(|c| c.1).sum();
        // The GCRA admits the burst, then one request every 1/rate seconds.
        let allowed = f64::from(burst) + f64::from(rate) * elapsed;
        assert!(
            f64::from(admitted) <= allowed * 1.03 + 1.0 && f64::from(admitted) >= allowed * 0.9,
            "{admitted} admitted ({counts:?}) in {elapsed:.2} s; the limit allows {allowed:.0}"
        );
        assert!(
            refused > admitted,
            "the replicas were pushed past the limit: {counts:?}"
        );
        assert!(
            counts.iter().all(|c| c.0 > 0),
            "every replica admitted some: {counts:?}"
        );
        let logs = r.stop().await;
        assert!(
            logs.iter().all(|l| !l.contains("shared state down")),
            "Redis answered throughout: {logs:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rename_through_one_replica_is_followed_by_another_at_once() {
    bounded(60, async {
        let redis = RedisServer::start(None).await;
        let secrets = tempfile::tempdir().unwrap();
        let shared = shared_table(&redis, secrets.path(), "");
        let r = replicas(2, Shape::Named, &[TenantRate("acme", 1000, 1000)], &shared).await;
        r.wait_shared(true).await;
        let mut alice = common::user("alice", "Alice", "A");
        alice["emails"] = json!([{"type": "work", "value": "alice@example.com", "primary": true}]);
        let (status, created) = send(r.req(0, "acme", Method::POST, "/Users").json(&alice)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["id"], "alice");
        // Replica B learns alice's ids.
        let (status, _) = send(r.req(1, "acme", Method::GET, "/Users?filter=userName%20eq%20%22alice%22")).await;
        assert_eq!(status, StatusCode::OK);
        let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "userName", "value": "bob"}]});
        let (status, renamed) = send(r.req(0, "acme", Method::PATCH, "/Users/alice").json(&rename)).await;
        assert_eq!((status, &renamed["id"]), (StatusCode::OK, &json!("bob")), "{renamed}");
        // At once, replica B follows the old id to the renamed user, as replica A does.
        let (status, got) = send(r.req(1, "acme", Method::GET, "/Users/alice")).await;
        assert_eq!((status, &got["userName"]), (StatusCode::OK, &json!("bob")), "{got}");
        let (status, list) = send(r.req(1, "acme", Method::GET, "/Users?filter=userName%20eq%20%22alice%22")).await;
        assert_eq!((status, &list["totalResults"]), (StatusCode::OK, &json!(0)), "{list}");
        // A delete through B: A no longer follows the old id.
        let (status, _) = send(r.req(1, "acme", Method::DELETE, "/Users/bob")).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, got) = send(r.req(0, "acme", Method::GET, "/Users/alice")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{got}");
        r.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_redis_mid_load_keeps_every_replica_answering_and_a_restart_restores_shared_limits() {
    bounded(120, async {
        let mut redis = RedisServer::start(Some("redis-secret")).await;
        let secrets = tempfile::tempdir().unwrap();
        let shared = shared_table(&redis, secrets.path(), "local_share = 0.5");
        let tenants = [TenantRate("load", 1000, 1000), TenantRate("tight", 1, 4)];
        let r = replicas(2, Shape::Classic, &tenants, &shared).await;
        r.wait_shared(true).await;
        // Shared: the burst of 4 is the tenant's, whichever replica takes it.
        let tight = async |first: usize, n: usize| {
            let mut statuses = Vec::new();
            for k in 0..n {
                statuses.push(r.status((first + k) % 2, "tight").await.as_u16());
            }
            statuses
        };
        assert_eq!(tight(0, 6).await, [200, 200, 200, 200, 429, 429]);

        // Load on both replicas throughout: every request is answered, in time, and never with an error.
        let stop_load = tokio_util::sync::CancellationToken::new();
        let load = {
            let (r, stop) = (&r, stop_load.clone());
            async move {
                let (mut answered, mut slowest) = (0u32, Duration::ZERO);
                while !stop.is_cancelled() {
                    let sent = Instant::now();
                    let status = r.status(answered as usize % 2, "load").await;
                    slowest = slowest.max(sent.elapsed());
                    assert_eq!(status, StatusCode::OK, "request {answered} of the load");
                    answered += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                (answered, slowest)
            }
        };
        let outage = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            redis.kill().await;
            r.wait_shared(false).await;
            // Each replica alone: its half of the burst (2 of 4) for this tenant, on its own.
            tokio::time::sleep(Duration::from_secs(2)).await;
            let alone: Vec<_> = [tight(0, 1).await, tight(0, 1).await, tight(0, 1).await].concat();
            assert_eq!(alone, [200, 200, 429], "replica A alone");
            let alone: Vec<_> = [tight(1, 1).await, tight(1, 1).await, tight(1, 1).await].concat();
            assert_eq!(alone, [200, 200, 429], "replica B alone");
            let ready = r
                .client
                .get(format!("{}/readyz", r.admins[0]))
                .send()
                .await
                .expect("readyz");
            assert_eq!(ready.status(), StatusCode::OK, "ready without Redis");
            redis.restart().await;
            r.wait_shared(true).await;
            stop_load.cancel();
        };
        let ((answered, slowest), ()) = tokio::join!(load, outage);
        assert!(answered > 50, "{answered} load requests");
        assert!(slowest < Duration::from_secs(2), "slowest answer took {slowest:?}");

        // Back to one shared limit: a fresh burst of 4 across both, then refused.
        assert_eq!(tight(1, 6).await, [200, 200, 200, 200, 429, 429]);
        let logs = r.stop().await;
        for log in &logs {
            assert!(log.contains("shared state down"), "{log}");
            assert!(log.contains("shared state up"), "{log}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_a_limit_through_redis_over_tls_with_a_password() {
    bounded(60, async {
        let redis = RedisServer::start_tls(Some("redis-secret")).await;
        let secrets = tempfile::tempdir().unwrap();
        let shared = shared_table(&redis, secrets.path(), "local_share = 1.0");
        assert!(shared.contains("rediss://"), "{shared}");
        let r = replicas(2, Shape::Classic, &[TenantRate("acme", 1, 2)], &shared).await;
        r.wait_shared(true).await;
        // A burst of 2 for the tenant, not for each replica.
        let statuses = [
            r.status(0, "acme").await,
            r.status(1, "acme").await,
            r.status(0, "acme").await,
        ];
        assert_eq!(statuses.map(|s| s.as_u16()), [200, 200, 429]);
        assert_eq!(r.status(1, "acme").await, StatusCode::TOO_MANY_REQUESTS);
        r.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_authentications_are_throttled_across_replicas() {
    bounded(60, async {
        let redis = RedisServer::start(Some("redis-secret")).await;
        let secrets = tempfile::tempdir().unwrap();
        let shared = shared_table(&redis, secrets.path(), "");
        let r = replicas(2, Shape::Classic, &[TenantRate("acme", 1000, 1000)], &shared).await;
        r.wait_shared(true).await;
        let bad = |i: usize| {
            r.client
                .get(format!("{}/Users", r.procs[i].base))
                .bearer_auth("not-a-token")
                .timeout(Duration::from_secs(5))
                .send()
        };
        // The limit is 3 failures: two on A and one on B use them up; the next is refused on either.
        for i in [0, 1, 0] {
            assert_eq!(bad(i).await.unwrap().status(), StatusCode::UNAUTHORIZED);
        }
        let refused = bad(1).await.unwrap();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.headers().contains_key("retry-after"));
        assert_eq!(bad(0).await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
        // A valid token from the same address is still served.
        assert_eq!(r.status(1, "acme").await, StatusCode::OK);
        r.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_starts_and_serves_without_redis_or_with_a_wrong_password() {
    bounded(60, async {
        let redis = RedisServer::start(Some("redis-secret")).await;
        let secrets = tempfile::tempdir().unwrap();
        let wrong = secrets.path().join("wrong");
        std::fs::write(&wrong, "not-the-password").unwrap();
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        for shared in [
            format!("redis = \"redis://127.0.0.1:{port}/0\""),
            format!("redis = {:?}\npassword = \"file:{}\"", redis.url(), wrong.display()),
        ] {
            let r = replicas(1, Shape::Classic, &[TenantRate("acme", 1, 2)], &shared).await;
            // Serving at once, on its own share (half the burst of 2).
            assert_eq!(r.status(0, "acme").await, StatusCode::OK);
            assert_eq!(r.status(0, "acme").await, StatusCode::TOO_MANY_REQUESTS);
            let ready = r.client.get(format!("{}/readyz", r.admins[0])).send().await.unwrap();
            assert_eq!(ready.status(), StatusCode::OK);
            r.wait_shared(false).await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let log = r.stop().await.concat();
            assert!(log.contains("shared state down"), "{log}");
        }
    })
    .await;
}

#[test]
fn check_shows_the_shared_state_and_names_a_wrong_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scimgate.toml");
    let check = |shared: &str| {
        std::fs::write(
            &path,
            format!(
                "[server]\nplaintext = true\n[shared]\n{shared}\n{}",
                common::example_mapping("classic")
            ),
        )
        .unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_scimgate"))
            .args(["check", "--config"])
            .arg(&path)
            .output()
            .expect("scimgate check");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (ok, out) = check("redis = \"rediss://cache.internal:6380/0\"\nlocal_share = 0.5");
    assert!(ok, "{out}");
    assert!(
        out.contains("shared state: Redis at rediss://cache.internal:6380/0"),
        "{out}"
    );
    let (ok, out) = check("redis = \"redis://cache.internal:6379/0\"\npassword = \"hunter2\"");
    assert!(
        !ok && out.contains("shared.password") && !out.contains("hunter2"),
        "{out}"
    );
    let (ok, out) = check("redis = \"redis://cache.internal:6379/0\"\nlocal_shar = 0.5");
    assert!(!ok && out.contains("local_shar"), "{out}");
}

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.expect("the replica answers");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
