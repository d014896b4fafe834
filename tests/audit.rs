//! The audit trail as an operator reads it: `scimgate run` with `[audit] output = <file>` writes one JSON line per
//! change (create, deactivate, update, delete, member add and remove), failures with their status, and nothing of
//! it reaches the ordinary logs.

mod common;

use scimgate::sample::{SampleOptions, SampleProduct};
use serde_json::{Value, json};

/// A gateway process with `[audit] output` set, before the sample product; the trail's path and a tenant token.
struct Audited {
    _product: SampleProduct,
    _dir: tempfile::TempDir,
    gateway: common::process::Process,
    trail: std::path::PathBuf,
    token: String,
}

async fn audited() -> Audited {
    let product = SampleProduct::start(SampleOptions {
        api_key: "audit-key".into(),
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
         [audit]\noutput = {trail:?}\n\
         [[tenants]]\nid = \"audited\"\ntokens = [{digest:?}]\nmapping = \"classic\"\n\
         upstream = {{ base_url = {base:?}, auth = {{ header = \"X-Api-Key\", secret = {secret:?} }} }}\n",
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
