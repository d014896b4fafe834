//! No secret in any log line at any level: the gateway runs as its own process with `SCIMGATE_LOG=trace`, serves
//! requests carrying a bearer token, a wrong token, a product credential and a password, and its whole log output
//! is scanned for each of them.

mod common;

use scimgate::sample::{SampleOptions, SampleProduct};

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
    let token = scimgate::token::new_token();
    let digest = scimgate::token::TokenHash::of(&token).to_config();
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
    let gateway = common::process::run(&path, mapping, "trace").await;
    let base = gateway.base.clone();
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
    let log = gateway.stop().await;
    assert!(log.contains("\"request\""), "the requests were logged at all: {log}");
    let hex = digest.trim_start_matches("sha256:");
    for secret in [token.as_str(), hex, product_key, password, wrong] {
        assert!(!log.contains(secret), "{secret:?} appears in the log");
    }
}
