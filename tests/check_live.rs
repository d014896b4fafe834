//! `scimgate check --live` as a real process against the sample product: every shape's shipped mapping passes
//! (read-only and with `--write`, which cleans up after itself), and a mapping with one rule wrong fails on that
//! rule's key with a non-zero exit.

mod common;

use common::{TenantSpec, example_mapping, send, user};
use scimgate::sample::Shape;
use serde_json::{Value, json};
use std::path::Path;

/// A product with five users (work emails, external ids) and a team of two, seeded through a gateway.
async fn seeded(shape: Shape) -> common::Gateway {
    let gw = common::start_with_mapping(&[TenantSpec::shaped("t", shape)], "", &example_mapping(shape.as_str())).await;
    let mut ids = Vec::new();
    for (i, name) in ["ada", "grace", "edsger", "barbara", "donald"].iter().enumerate() {
        let mut body = user(&format!("{name}@example.com"), name, "Test");
        body["externalId"] = json!(format!("ext-{i}-{name}"));
        let (status, _, created) = send(gw.req(0, reqwest::Method::POST, "/Users").json(&body)).await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    let team = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Platform",
        "members": [{"value": ids[0]}, {"value": ids[1]}]
    });
    let (status, _, created) = send(gw.req(0, reqwest::Method::POST, "/Groups").json(&team)).await;
    assert_eq!(status, 201, "{created}");
    gw
}

/// The `upstream.auth` table of a product of this shape.
fn auth(shape: Shape, key: &str) -> String {
    match shape {
        Shape::Classic => format!("{{ header = \"X-Api-Key\", secret = {key:?} }}"),
        Shape::Named => format!("{{ header = \"Authorization\", scheme = \"Bearer\", secret = {key:?} }}"),
        Shape::Uuid => format!("{{ header = \"Authorization\", username = \"api\", secret = {key:?} }}"),
    }
}

/// Run `scimgate check --live --json` (plus `extra`) with one tenant in front of `base_url`: exit success and
/// the JSON report.
async fn check_live(
    dir: &Path,
    shape: Shape,
    base_url: &str,
    key: &str,
    mapping: &str,
    extra: &[&str],
) -> (bool, Value) {
    let key_file = dir.join("check.key");
    std::fs::write(&key_file, key).expect("key file");
    let key = format!("file:{}", key_file.display());
    let token = scimgate::token::new_token();
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nplaintext = true\n\n[[tenants]]\nid = \"acme\"\ntokens = [{digest:?}]\n\
         mapping = {name:?}\nupstream = {{ base_url = {base_url:?}, auth = {auth} }}\n",
        digest = scimgate::token::TokenHash::of(&token).to_config(),
        name = shape.as_str(),
        auth = auth(shape, &key),
    );
    let config_path = dir.join("check.toml");
    let mapping_path = dir.join("mapping.toml");
    std::fs::write(&config_path, config).expect("config");
    std::fs::write(&mapping_path, mapping).expect("mapping");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_scimgate"))
        .args(["check", "--live", "--json", "--config"])
        .arg(&config_path)
        .arg("--config")
        .arg(&mapping_path)
        .args(extra)
        .output()
        .await
        .expect("run scimgate check");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), report)
}

fn findings(report: &Value) -> Vec<Value> {
    report["tenants"][0]["findings"].as_array().cloned().unwrap_or_default()
}

fn failures(report: &Value) -> Vec<Value> {
    findings(report).into_iter().filter(|f| f["status"] == "fail").collect()
}

/// The finding of `check` (its text) on `key`.
fn finding<'r>(all: &'r [Value], check: &str, key: &str) -> &'r Value {
    all.iter()
        .find(|f| f["check"] == check && f["key"] == key)
        .unwrap_or_else(|| panic!("no finding {check:?} on {key}: {all:#?}"))
}

#[tokio::test]
async fn every_shape_mapping_passes_read_only_and_with_write() {
    for shape in [Shape::Classic, Shape::Named, Shape::Uuid] {
        let gw = seeded(shape).await;
        let product = gw.product(0);
        let (base, key) = (product.base_url(), "product-key-t");
        let mapping = example_mapping(shape.as_str());
        let m = format!("mappings.{}", shape.as_str());
        let seeding = product.request_log().len();
        let (ok, report) = check_live(gw.dir.path(), shape, &base, key, &mapping, &[]).await;
        assert!(ok, "{shape}: {:#?}", failures(&report));
        assert_eq!(report["ok"], true);
        let all = findings(&report);
        assert_eq!(
            finding(&all, "credentials", "tenants[0].upstream.auth")["status"],
            "pass"
        );
        assert_eq!(
            finding(&all, "users: listing items", &format!("{m}.users.paging.items"))["status"],
            "pass"
        );
        assert_eq!(
            finding(&all, "users: single read", &format!("{m}.users.endpoints.get"))["status"],
            "pass"
        );
        assert_eq!(
            finding(&all, "groups: members", &format!("{m}.groups.{}", members_key(shape)))["status"],
            "pass"
        );
        let next = all
            .iter()
            .find(|f| f["check"] == "users: next page")
            .expect("next page checked");
        assert_eq!(next["status"], "pass", "{next}");
        let filter = finding(
            &all,
            "users: filter \"userName eq\"",
            &format!("{m}.users.filters.\"userName eq\""),
        );
        assert_eq!(filter["status"], "pass", "{filter}");
        assert!(
            filter["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("case-insensitively"),
            "{filter}"
        );
        let external = finding(
            &all,
            "users: filter \"externalId eq\"",
            &format!("{m}.users.filters.\"externalId eq\""),
        );
        assert!(
            external["detail"].as_str().unwrap_or_default().contains("exactly"),
            "{external}"
        );
        let calls = product.request_log().split_off(seeding);
        // A read-only check costs a handful of GETs per rule, whatever the product holds.
        assert!(calls.len() <= 30, "{shape}: {} calls: {calls:?}", calls.len());
        assert!(
            !calls.is_empty() && calls.iter().all(|(method, _)| method == "GET"),
            "{shape}: a read-only check sent {calls:?}"
        );

        let (ok, report) = check_live(gw.dir.path(), shape, &base, key, &mapping, &["--write"]).await;
        assert!(ok, "{shape} --write: {:#?}", failures(&report));
        let all = findings(&report);
        for step in [
            "write: create user",
            "write: find user by userName",
            "write: update keeps the other attributes",
            "write: create group",
            "write: add member",
            "write: remove member",
            "write: delete group",
            "write: delete user",
        ] {
            let found = all
                .iter()
                .find(|f| f["check"] == step)
                .unwrap_or_else(|| panic!("{shape}: no {step}: {all:#?}"));
            assert_eq!(found["status"], "pass", "{found}");
        }
        let left: Vec<Value> = product
            .users()
            .into_iter()
            .chain(product.teams())
            .filter(|o| o.to_string().contains("scimgate-check-"))
            .collect();
        assert!(left.is_empty(), "{shape}: the check left {left:?}");
        assert_eq!(product.users().len(), 5, "{shape}");
    }
}

fn members_key(shape: Shape) -> &'static str {
    match shape {
        Shape::Classic => "members.list",
        Shape::Named => "members.pointer",
        Shape::Uuid => "members.user_filter",
    }
}

/// The classic mapping with `from` replaced by `to` (once).
fn classic_with(from: &str, to: &str) -> String {
    let text = example_mapping("classic");
    assert!(text.contains(from), "{from:?} is not in the classic mapping");
    text.replacen(from, to, 1)
}

#[tokio::test]
async fn each_wrong_rule_is_reported_on_its_key_with_a_failing_exit() {
    let gw = seeded(Shape::Classic).await;
    let base = gw.product(0).base_url();
    let users = "mappings.classic.users";
    let cases = [
        (
            "items = \"/data\"",
            "items = \"/items\"",
            format!("{users}.paging.items"),
            "\"/data\"",
        ),
        ("id = \"/id\"", "id = \"/uid\"", format!("{users}.id"), "/username"),
        (
            "total = \"/meta/total\"",
            "total = \"/meta/count\"",
            format!("{users}.paging.total"),
            "/meta/total",
        ),
        (
            "max_size = 200",
            "max_size = 2000",
            format!("{users}.paging.max_size"),
            "lower max_size",
        ),
    ];
    for (from, to, key, fix) in cases {
        let (ok, report) = check_live(
            gw.dir.path(),
            Shape::Classic,
            &base,
            "product-key-t",
            &classic_with(from, to),
            &[],
        )
        .await;
        assert!(!ok, "{to}: {report:#}");
        let failed = failures(&report);
        let found = failed
            .iter()
            .find(|f| f["key"] == key.as_str())
            .unwrap_or_else(|| panic!("{to}: no failure on {key}: {failed:#?}"));
        assert!(found["fix"].as_str().unwrap_or_default().contains(fix), "{to}: {found}");
    }

    // Wrong credentials: named on the tenant's auth, and nothing else is tried.
    let (ok, report) = check_live(
        gw.dir.path(),
        Shape::Classic,
        &base,
        "wrong-key",
        &example_mapping("classic"),
        &[],
    )
    .await;
    assert!(!ok);
    let failed = failures(&report);
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0]["key"], "tenants[0].upstream.auth");
    assert!(
        failed[0]["detail"].as_str().unwrap_or_default().contains("401"),
        "{}",
        failed[0]
    );

    // The same, for people: a ✗ line with the check and its key, the product's answer, and the fix.
    let run = |extra: &'static [&'static str]| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_scimgate"))
            .args(["check", "--live"])
            .args(extra)
            .arg("--config")
            .arg(gw.dir.path().join("check.toml"))
            .arg("--config")
            .arg(gw.dir.path().join("mapping.toml"))
            .output()
    };
    let out = run(&[]).await.expect("run scimgate check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(text.contains("✗ credentials  tenants[0].upstream.auth"), "{text}");
    assert!(text.contains("answered 401"), "{text}");
    assert!(text.contains("      fix: check the secret"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("the live check failed"));

    // A tenant the config does not have is an error of its own.
    let out = run(&["--tenant", "nobody"]).await.expect("run scimgate check");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--tenant \"nobody\": no such tenant"), "{stderr}");
}

#[tokio::test]
async fn a_push_down_parameter_the_product_ignores_is_reported_on_its_rule() {
    let gw = seeded(Shape::Classic).await;
    // A product that ignores a query parameter it does not know, as many do: `username` is dropped on the way.
    let base = ignoring(&gw.product(0).base_url(), "username").await;
    let (ok, report) = check_live(
        gw.dir.path(),
        Shape::Classic,
        &base,
        "product-key-t",
        &example_mapping("classic"),
        &[],
    )
    .await;
    assert!(!ok);
    let failed = failures(&report);
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0]["key"], "mappings.classic.users.filters.\"userName eq\"");
    assert!(
        failed[0]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("ignores \"username\""),
        "{}",
        failed[0]
    );
}

/// A pass-through to `base` that drops the query parameter `param`; the base URL to use instead.
async fn ignoring(base: &str, param: &'static str) -> String {
    use http_body_util::{BodyExt, Full};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let origin = base.trim_end_matches("/api/v1").to_owned();
    let client = reqwest::Client::new();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (origin, client) = (origin.clone(), client.clone());
            let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                let (origin, client) = (origin.clone(), client.clone());
                async move {
                    let (parts, body) = req.into_parts();
                    let mut url = reqwest::Url::parse(&format!("{origin}{}", parts.uri)).expect("url");
                    let kept: Vec<(String, String)> = url
                        .query_pairs()
                        .filter(|(k, _)| k != param)
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect();
                    url.set_query(None);
                    if !kept.is_empty() {
                        url.query_pairs_mut().extend_pairs(kept);
                    }
                    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                    let answer = client
                        .request(parts.method, url)
                        .headers(parts.headers)
                        .body(body)
                        .send()
                        .await?;
                    let mut resp = http::Response::builder().status(answer.status());
                    for (name, value) in answer.headers() {
                        resp = resp.header(name, value);
                    }
                    Ok::<_, reqwest::Error>(resp.body(Full::new(answer.bytes().await?)).expect("response"))
                }
            });
            tokio::spawn(async move {
                let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
                let _ = builder
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}/api/v1")
}
