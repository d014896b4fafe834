//! No secret in any log line at any level: the gateway runs as its own process with `SCIMGATE_LOG=trace`, serves
//! requests carrying a bearer token, a wrong token, a product credential and a password, and its whole log output
//! is scanned for each of them.

use scimgate::sample::{SampleOptions, SampleProduct};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn secrets_never_reach_the_logs() {
    let product_key = "pk-4f1c9e2ab77d0e13-do-not-log";
    let product = SampleProduct::start(SampleOptions {
        api_key: product_key.into(),
        ..SampleOptions::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("product.key"), product_key).unwrap();
    let token = scimgate::auth::new_token();
    let digest = scimgate::auth::TokenHash::of(&token).to_config();
    let mapping = concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples/classic.toml");
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nplaintext = true\n[admin]\nlisten = \"127.0.0.1:0\"\n\
         [[tenants]]\nid = \"logs\"\ntokens = [{digest:?}]\nmapping = \"classic\"\n\
         upstream = {{ base_url = {base:?}, auth = {{ header = \"X-Api-Key\", secret = {secret:?} }} }}\n",
        base = product.base_url(),
        secret = format!("file:{}", dir.path().join("product.key").display()),
    );
    let path = dir.path().join("scimgate.toml");
    std::fs::write(&path, config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimgate"))
        .args(["run", "--config"])
        .arg(&path)
        .args(["--config", mapping])
        .env("SCIMGATE_LOG", "trace")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // The listen address is in the startup log line.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    let addr = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let mut line = String::new();
            assert!(
                stderr.read_line(&mut line).await.unwrap() > 0,
                "the gateway exited: {log}"
            );
            log.push_str(&line);
            if let Some(at) = line.find("127.0.0.1:") {
                let rest = &line[at..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
                    .unwrap_or(rest.len());
                if rest[..end].len() > "127.0.0.1:".len() {
                    return rest[..end].to_owned();
                }
            }
        }
    })
    .await
    .expect("the gateway logged its address");
    let base = format!("http://{addr}/scim/v2");
    let client = reqwest::Client::new();
    let password = "Tr0ub4dor&3-secret-password";
    let body = serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "log@example.com", "password": password});
    let created = client
        .post(format!("{base}/Users"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.status(),
        201,
        "the password travels to the product (write-only)"
    );
    let ok = client
        .get(format!("{base}/Users?filter=userName%20eq%20%22x%22"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let wrong = "wrong-token-5d1e8a-do-not-log";
    let refused = client
        .get(format!("{base}/Users"))
        .bearer_auth(wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    child.start_kill().unwrap();
    let mut rest = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stderr.read_to_string(&mut rest)).await;
    log.push_str(&rest);
    assert!(log.contains("\"request\""), "the requests were logged at all: {log}");
    let hex = digest.trim_start_matches("sha256:");
    for secret in [token.as_str(), hex, product_key, password, wrong] {
        assert!(!log.contains(secret), "{secret:?} appears in the log");
    }
}
