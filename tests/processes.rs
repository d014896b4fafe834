//! The commands as separate processes: `scimgate demo` (the README's main command) answers SCIM over TLS with
//! what it prints, and `scimgate sample-product` serves as its own process behind a gateway.

mod common;

use common::{TenantSpec, send, start, user};
use reqwest::Method;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Spawn the binary and collect stdout lines until one contains `until`.
async fn spawn_until(args: &[&str], until: &str) -> (Child, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimgate"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn scimgate");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    let read = async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            let done = line.contains(until);
            seen.push(line);
            if done {
                break;
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), read)
        .await
        .expect("the command printed in time");
    (child, seen)
}

fn value_after<'l>(lines: &'l [String], prefix: &str) -> &'l str {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in {lines:?}"))
        .trim()
}

#[tokio::test]
async fn demo_prints_a_working_base_url_token_and_ca() {
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().join("demo").display().to_string();
    let (mut child, lines) = spawn_until(&["demo", "--listen", "127.0.0.1:0", "--dir", &dir_arg], "Press Ctrl-C").await;
    let base = value_after(&lines, "SCIM base URL:");
    let token = value_after(&lines, "Bearer token:");
    let ca = value_after(&lines, "CA certificate:");
    assert!(
        base.starts_with("https://127.0.0.1:") && base.ends_with("/scim/v2"),
        "{base}"
    );
    assert!(lines.iter().any(|l| l.starts_with("curl ")), "{lines:?}");
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap())
        .build()
        .unwrap();
    let (status, _, created) = send(client.post(format!("{base}/Users")).bearer_auth(token).json(&user(
        "demo@example.com",
        "De",
        "Mo",
    )))
    .await;
    assert_eq!(status, 201, "{created}");
    let (status, _, got) = send(
        client
            .get(format!("{base}/Users/{}", created["id"].as_str().unwrap()))
            .bearer_auth(token),
    )
    .await;
    assert_eq!(
        (status.as_u16(), got["userName"].as_str()),
        (200, Some("demo@example.com"))
    );
    let (status, _, _) = send(client.get(format!("{base}/Users")).bearer_auth("wrong")).await;
    assert_eq!(status, 401);
    child.kill().await.unwrap();
}

#[tokio::test]
async fn the_sample_product_runs_as_its_own_process_behind_the_gateway() {
    let (mut child, lines) = spawn_until(
        &["sample-product", "--listen", "127.0.0.1:0", "--api-key", "proc-key"],
        "sample product API on",
    )
    .await;
    let url = lines
        .last()
        .unwrap()
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let mut spec = TenantSpec::new("proc");
    spec.external = Some((url, "proc-key".to_owned()));
    let gw = start(&[spec]).await;
    let (status, _, created) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("proc@example.com", "P", "Roc")),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let (_, _, list) = send(gw.req(0, Method::GET, "/Users?filter=userName%20eq%20%22proc%40example.com%22")).await;
    assert_eq!(list["totalResults"], 1);
    child.kill().await.unwrap();
}
