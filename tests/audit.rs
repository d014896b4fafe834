//! The audit trail as an operator reads it: `scimgate run` with `[audit] output = <file>` writes one JSON line per
//! change (create, deactivate, update, delete, member add and remove), failures with their status, and nothing of
//! it reaches the ordinary logs. A write runs to its end and is in the trail whatever the client does: it
//! disconnects, resets its stream, or the request timeout answers it first.

mod common;

use scimgate::sample::{SampleOptions, SampleProduct};
use serde_json::{Value, json};
use std::time::Duration;

/// A gateway process with `[audit] output` set, before the sample product; the trail's path and a tenant token.
struct Audited {
    _product: SampleProduct,
    _dir: tempfile::TempDir,
    gateway: common::process::Process,
    trail: std::path::PathBuf,
    token: String,
}

async fn audited() -> Audited {
    audited_with(None, "", "").await
}

/// As `audited`, the product answering each call after `delay`, with `limits` (TOML keys of `[limits]`) and
/// `upstream` (extra keys of the tenant's `upstream` table, each with its leading comma).
async fn audited_with(delay: Option<Duration>, limits: &str, upstream: &str) -> Audited {
    let product = SampleProduct::start(SampleOptions {
        api_key: "audit-key".into(),
        delay,
        ..SampleOptions::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("product.key"), "audit-key").unwrap();
    let trail = dir.path().join("audit.jsonl");
    let token = scimgate::token::new_token();
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nplaintext = true\n[admin]\nlisten = \"127.0.0.1:0\"\n\
         [audit]\noutput = {trail:?}\n[limits]\n{limits}\n\
         [[tenants]]\nid = \"audited\"\ntokens = [{digest:?}]\nmapping = \"classic\"\n\
         upstream = {{ base_url = {base:?}, auth = {{ header = \"X-Api-Key\", secret = {secret:?} }}{upstream} }}\n",
        trail = trail.display().to_string(),
        digest = scimgate::token::TokenHash::of(&token).to_config(),
        base = product.base_url(),
        secret = format!("file:{}", dir.path().join("product.key").display()),
    );
    let path = dir.path().join("scimgate.toml");
    std::fs::write(&path, config).unwrap();
    let gateway = common::process::run(
        &path,
        concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples/classic.toml"),
        "info",
    )
    .await;
    Audited {
        _product: product,
        _dir: dir,
        gateway,
        trail,
        token,
    }
}

/// The trail's lines as they are in the file now.
fn trail_lines(trail: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(trail)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[tokio::test]
async fn each_change_is_in_the_trail_by_the_time_its_answer_arrives() {
    let Audited {
        _product,
        _dir,
        gateway,
        trail,
        token,
    } = audited().await;
    let client = reqwest::Client::new();
    // Read at once when each answer arrives, with no wait and no retry: the line was written first.
    for n in 0..5 {
        let email = format!("now{n}@example.com");
        let created = client
            .post(format!("{}/Users", gateway.base))
            .bearer_auth(&token)
            .json(&common::user(&email, "N", "W"))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let id = created.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let lines = trail_lines(&trail);
        assert_eq!(lines.len(), 2 * n + 1, "{lines:#?}");
        assert_eq!(lines[2 * n]["action"], "create");
        assert_eq!(lines[2 * n]["scim_id"], id.as_str());

        let deleted = client
            .delete(format!("{}/Users/{id}", gateway.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), 204);
        let lines = trail_lines(&trail);
        assert_eq!(lines.len(), 2 * n + 2, "{lines:#?}");
        assert_eq!(lines[2 * n + 1]["action"], "delete");
        assert_eq!(lines[2 * n + 1]["scim_id"], id.as_str());
    }
    gateway.stop().await;
}

#[tokio::test]
async fn every_change_is_one_audit_line() {
    let Audited {
        _product,
        _dir,
        gateway,
        trail,
        token,
    } = audited().await;
    let base = gateway.base.clone();
    let client = reqwest::Client::new();
    let send = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let req = client.request(method, format!("{base}{path}")).bearer_auth(&token);
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, user) = send(
        reqwest::Method::POST,
        "/Users",
        Some(common::user("audit@example.com", "A", "U")),
    )
    .await;
    assert_eq!(status, 201, "{user}");
    let uid = user["id"].as_str().unwrap().to_owned();
    let (status, _) = send(
        reqwest::Method::POST,
        "/Users",
        Some(common::user("audit@example.com", "A", "U")),
    )
    .await;
    assert_eq!(status, 409);
    let off = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    assert_eq!(
        send(reqwest::Method::PATCH, &format!("/Users/{uid}"), Some(off))
            .await
            .0,
        200
    );
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Audited",
        "members": [{"value": uid}]});
    let (status, group) = send(reqwest::Method::POST, "/Groups", Some(group)).await;
    assert_eq!(status, 201, "{group}");
    let gid = group["id"].as_str().unwrap().to_owned();
    let remove = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "remove", "path": format!("members[value eq \"{uid}\"]")}]});
    assert_eq!(
        send(reqwest::Method::PATCH, &format!("/Groups/{gid}"), Some(remove))
            .await
            .0,
        204
    );
    assert_eq!(
        send(reqwest::Method::DELETE, &format!("/Users/{uid}"), None).await.0,
        204
    );
    let log = gateway.stop().await;

    let lines: Vec<Value> = std::fs::read_to_string(&trail)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(String, String, String)> = lines
        .iter()
        .map(|l| {
            assert_eq!(l["tenant"], "audited", "{l}");
            assert!(l["timestamp"].is_string(), "{l}");
            (
                l["resource"].as_str().unwrap().to_owned(),
                l["action"].as_str().unwrap().to_owned(),
                l["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("User", "create", "ok"),
        ("User", "create", "409"),
        ("User", "deactivate", "ok"),
        ("Group", "member_add", "ok"),
        ("Group", "create", "ok"),
        ("Group", "member_remove", "ok"),
        ("User", "delete", "ok"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(summary, expected, "{lines:#?}");
    assert_eq!(lines[2]["scim_id"], uid.as_str());
    assert_eq!(lines[3]["member"], uid.as_str());
    assert!(!log.contains("\"audit\""), "the audit trail stays out of the logs");
}

/// A client whose every request ends within a bound.
fn bounded_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Wait (within a bound) until the trail has a line that `wanted` accepts, and return it.
async fn line_in_trail(trail: &std::path::Path, wanted: impl Fn(&Value) -> bool) -> Value {
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(line) = trail_lines(trail).into_iter().find(|l| wanted(l)) {
                return line;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("no such line in the trail: {:#?}", trail_lines(trail)))
}

#[tokio::test]
async fn a_write_whose_client_goes_away_still_happens_and_is_in_the_trail() {
    let Audited {
        _product: product,
        _dir,
        gateway,
        trail,
        token,
    } = audited_with(Some(Duration::from_millis(400)), "", "").await;
    let client = bounded_client();
    let created = client
        .post(format!("{}/Users", gateway.base))
        .bearer_auth(&token)
        .json(&common::user("leaving@example.com", "L", "A"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // An HTTP/2 client gives up on its DELETE while the product is still working: its stream is reset.
    let impatient = reqwest::Client::builder()
        .http2_prior_knowledge()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let gone = impatient
        .delete(format!("{}/Users/{id}", gateway.base))
        .bearer_auth(&token)
        .send()
        .await;
    assert!(gone.is_err(), "the client gave up before the answer: {gone:?}");
    // An HTTP/1.1 client closes its connection in the middle of a create.
    let http1 = reqwest::Client::builder()
        .http1_only()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let posted = http1
        .post(format!("{}/Users", gateway.base))
        .bearer_auth(&token)
        .json(&common::user("abandoned@example.com", "A", "B"))
        .send()
        .await;
    assert!(posted.is_err(), "the client gave up before the answer: {posted:?}");

    let deleted = line_in_trail(&trail, |l| l["action"] == "delete").await;
    assert_eq!(deleted["scim_id"], id.as_str());
    assert_eq!(deleted["outcome"], "ok");
    let created = line_in_trail(&trail, |l| l["action"] == "create" && l["scim_id"] != id.as_str()).await;
    assert_eq!(created["outcome"], "ok", "{created}");
    let users = product.users();
    assert!(
        users
            .iter()
            .all(|u| u["id"].as_str().map_or_else(|| u["id"].to_string(), str::to_owned) != id),
        "the delete happened: {users:?}"
    );
    assert!(
        users.iter().any(|u| u.to_string().contains("abandoned@example.com")),
        "the create happened: {users:?}"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn a_write_past_the_request_timeout_answers_504_and_runs_on_to_its_audit_line() {
    // The product answers after the request timeout but within its own call timeout: the IdP gets 504, and the
    // create still happens and is recorded.
    let Audited {
        _product: product,
        _dir,
        gateway,
        trail,
        token,
    } = audited_with(
        Some(Duration::from_millis(600)),
        "request_timeout_ms = 200",
        ", timeout_ms = 5000",
    )
    .await;
    let answer = bounded_client()
        .post(format!("{}/Users", gateway.base))
        .bearer_auth(&token)
        .json(&common::user("late@example.com", "L", "T"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 504);
    let line = line_in_trail(&trail, |l| l["action"] == "create").await;
    assert_eq!(line["outcome"], "ok", "{line}");
    assert!(line["scim_id"].as_str().is_some_and(|id| !id.is_empty()), "{line}");
    assert!(
        product
            .users()
            .iter()
            .any(|u| u.to_string().contains("late@example.com"))
    );
    gateway.stop().await;
}

#[tokio::test]
async fn a_write_whose_product_call_times_out_is_audited_unknown_with_its_identity() {
    // The product answers after the product call timeout: the gateway cannot know whether the change was made.
    let Audited {
        _product,
        _dir,
        gateway,
        trail,
        token,
    } = audited_with(
        Some(Duration::from_millis(1500)),
        "request_timeout_ms = 200",
        ", timeout_ms = 400",
    )
    .await;
    let mut body = common::user("unsure@example.com", "U", "S");
    body["externalId"] = json!("ext-unsure");
    let answer = bounded_client()
        .post(format!("{}/Users", gateway.base))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 504);
    let line = line_in_trail(&trail, |l| l["action"] == "create").await;
    assert_eq!(line["outcome"], "unknown", "{line}");
    assert_eq!(line["userName"], "unsure@example.com", "{line}");
    assert_eq!(line["externalId"], "ext-unsure", "{line}");
    assert!(line.get("scim_id").is_none(), "never an empty id: {line}");
    gateway.stop().await;
}

#[tokio::test]
async fn shutdown_waits_for_a_write_whose_client_left() {
    let Audited {
        _product: product,
        _dir,
        gateway,
        trail,
        token,
    } = audited_with(Some(Duration::from_millis(600)), "", "").await;
    let impatient = reqwest::Client::builder()
        .http2_prior_knowledge()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let posted = impatient
        .post(format!("{}/Users", gateway.base))
        .bearer_auth(&token)
        .json(&common::user("last@example.com", "L", "S"))
        .send()
        .await;
    assert!(posted.is_err(), "the client gave up before the answer: {posted:?}");
    // SIGTERM while the create is still with the product: the process ends only after it.
    gateway.stop().await;
    let lines = trail_lines(&trail);
    assert!(
        lines.iter().any(|l| l["action"] == "create" && l["outcome"] == "ok"),
        "{lines:#?}"
    );
    assert!(
        product
            .users()
            .iter()
            .any(|u| u.to_string().contains("last@example.com"))
    );
}
