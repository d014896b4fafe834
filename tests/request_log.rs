//! The request log line as the gateway process writes it: one JSON object per request, SCIM and pass-through,
//! with the client's address, the method, the path, the status and the time taken, and a UTC timestamp with
//! microseconds.

mod common;

use scimgate::sample::{SampleOptions, SampleProduct};
use serde_json::Value;
use std::net::SocketAddr;

/// The log's lines whose message is `message`.
fn lines(log: &str, message: &str) -> Vec<Value> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["message"] == message)
        .collect()
}

fn assert_timestamp(line: &Value) {
    let stamp = line["timestamp"].as_str().expect("timestamp");
    // `2026-11-24T20:01:40.146224Z`: UTC, six digits of microseconds.
    assert_eq!(stamp.len(), 27, "{stamp}");
    assert!(stamp.ends_with('Z') && stamp.as_bytes()[19] == b'.', "{stamp}");
    let at = time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339).expect(stamp);
    let off = (time::OffsetDateTime::now_utc() - at).abs();
    assert!(off < time::Duration::minutes(5), "{stamp} is {off} from now");
}

fn assert_peer(line: &Value) {
    let peer: SocketAddr = line["peer"].as_str().expect("peer").parse().expect("peer");
    assert_eq!(peer.ip().to_string(), "127.0.0.1");
    assert_ne!(peer.port(), 0);
}

#[tokio::test]
async fn each_request_is_one_json_line_with_its_peer_method_path_and_status() {
    let product = SampleProduct::start(SampleOptions {
        api_key: "pk-log-line".into(),
        ..SampleOptions::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("product.key"), "pk-log-line").unwrap();
    let token = scimgate::token::new_token();
    let digest = scimgate::token::TokenHash::of(&token).to_config();
    let mapping = concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples/classic.toml");
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nplaintext = true\n\
         [server.passthrough]\norigin = \"http://{origin}\"\n\
         [admin]\nlisten = \"127.0.0.1:0\"\n\
         [[tenants]]\nid = \"logs\"\ntokens = [{digest:?}]\nmapping = \"classic\"\n\
         upstream = {{ base_url = {base:?}, auth = {{ header = \"X-Api-Key\", secret = {secret:?} }} }}\n",
        origin = product.addr(),
        base = product.base_url(),
        secret = format!("file:{}", dir.path().join("product.key").display()),
    );
    let path = dir.path().join("scimgate.toml");
    std::fs::write(&path, config).unwrap();
    let gateway = common::process::run(&path, mapping, "info").await;
    let client = reqwest::Client::new();
    let scim = client
        .get(format!("{}/Users/404404", gateway.base))
        .bearer_auth(&token)
        .header("x-request-id", "idp-\"quoted\"-17")
        .send()
        .await
        .unwrap();
    assert_eq!(scim.status(), 404);
    let origin = gateway.base.trim_end_matches("/scim/v2").to_owned();
    let passed = client
        .get(format!("{origin}/api/v1/users?page=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(passed.status(), 401, "the product asks for its own credential");
    let log = gateway.stop().await;

    let request = lines(&log, "request");
    assert_eq!(request.len(), 1, "{log}");
    let request = &request[0];
    let keys: Vec<&str> = request
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "timestamp",
            "level",
            "message",
            "request_id",
            "peer",
            "method",
            "path",
            "tenant",
            "status",
            "resource",
            "operation",
            "product_calls",
            "micros",
            "target"
        ]
    );
    assert_timestamp(request);
    assert_peer(request);
    assert_eq!(request["level"], "INFO");
    // Printable ASCII, so the IdP's own id is kept; its quotes are escaped in the line.
    assert_eq!(request["request_id"], "idp-\"quoted\"-17");
    assert_eq!(request["method"], "GET");
    assert_eq!(request["path"], "/scim/v2/Users/404404");
    assert_eq!(request["tenant"], "logs");
    assert_eq!(request["status"], 404);
    assert_eq!(request["resource"], "Users");
    assert!(
        request["micros"].is_u64() && request["product_calls"].is_u64(),
        "{request}"
    );
    assert_eq!(request["target"], "scimgate::router");

    let passed = lines(&log, "pass-through");
    assert_eq!(passed.len(), 1, "{log}");
    let passed = &passed[0];
    let keys: Vec<&str> = passed.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "timestamp",
            "level",
            "message",
            "peer",
            "method",
            "path",
            "status",
            "micros",
            "target"
        ]
    );
    assert_timestamp(passed);
    assert_peer(passed);
    assert_eq!(passed["method"], "GET");
    assert_eq!(passed["path"], "/api/v1/users", "the query stays out of the log");
    assert_eq!(passed["status"], 401);
    assert!(passed["micros"].is_u64(), "{passed}");
    assert_eq!(passed["target"], "scimgate::proxy");
}

/// A product at a fresh address that reads each request's head and then sends `answer`, or, without one, never
/// answers.
async fn fake_product(answer: Option<String>) -> SocketAddr {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                match &answer {
                    Some(answer) => {
                        let _ = conn.write_all(answer.as_bytes()).await;
                    }
                    // Held open and silent until the gateway gives up.
                    None => {
                        let _ = conn.read(&mut buf).await;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_scim_5xx_line_says_why_without_a_credential() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = closed.local_addr().unwrap();
    drop(closed);
    let silent = fake_product(None).await;
    let body = r#"{"error":{"message":"database unavailable"}}"#;
    let failing = fake_product(Some(format!(
        // `connection: close`: the fake answers one request a connection, so a retry must not reuse a pooled one.
        "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )))
    .await;
    let product_key = "pk-5xx-cause-do-not-log";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("product.key"), product_key).unwrap();
    let secret = format!("file:{}", dir.path().join("product.key").display());
    let tenants = [("refused", refused), ("silent", silent), ("failing", failing)];
    let tokens: Vec<String> = tenants.iter().map(|_| scimgate::token::new_token()).collect();
    let mut config = "[server]\nlisten = \"127.0.0.1:0\"\nplaintext = true\n".to_owned();
    for ((id, addr), token) in tenants.iter().zip(&tokens) {
        config.push_str(&format!(
            "[[tenants]]\nid = \"{id}\"\ntokens = [{digest:?}]\nmapping = \"classic\"\n\
             upstream = {{ base_url = \"http://{addr}/api/v1\", auth = {{ header = \"X-Api-Key\", secret = {secret:?} }}, \
             timeout_ms = 300, retry_backoff_ms = 10 }}\n",
            digest = scimgate::token::TokenHash::of(token).to_config(),
        ));
    }
    let path = dir.path().join("scimgate.toml");
    std::fs::write(&path, config).unwrap();
    let mapping = concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples/classic.toml");
    let gateway = common::process::run(&path, mapping, "info").await;
    let client = reqwest::Client::new();
    for (token, expected) in tokens.iter().zip([502, 504, 502]) {
        let answer = client
            .get(format!("{}/Users/7", gateway.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), expected);
    }
    let log = gateway.stop().await;

    let request = lines(&log, "request");
    assert_eq!(request.len(), 3, "{log}");
    let cause = |tenant: &str| {
        let line = request
            .iter()
            .find(|l| l["tenant"] == tenant)
            .unwrap_or_else(|| panic!("no line of {tenant}: {log}"));
        line["cause"]
            .as_str()
            .unwrap_or_else(|| panic!("no cause: {line}"))
            .to_owned()
    };
    let refused = cause("refused");
    assert!(
        refused.contains("could not be reached") && refused.contains("refused"),
        "{refused}"
    );
    let silent = cause("silent");
    assert!(silent.contains("did not answer within 300ms"), "{silent}");
    let failing = cause("failing");
    assert!(
        failing.contains("500") && failing.contains("database unavailable"),
        "{failing}"
    );
    for secret in tokens.iter().map(String::as_str).chain([product_key]) {
        assert!(!log.contains(secret), "{secret:?} appears in the log");
    }
}
