//! The admin listener: `/healthz`, `/readyz` failing while a tenant's product is down and recovering when it is
//! back, `/metrics` counters moving with requests; and `scimgate healthcheck` as a process.

mod common;

use common::{TenantSpec, send};
use reqwest::{Method, StatusCode};
use scimgate::sample::{SampleOptions, SampleProduct};
use std::sync::Arc;
use std::time::Duration;

async fn admin_for(gw: &common::Gateway) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let admin = Arc::new(scimgate::admin::Admin::new(gw.runtime.clone()).with_probe_ttl(Duration::from_millis(200)));
    tokio::spawn(scimgate::admin::serve(listener, admin, std::future::pending()));
    format!("http://{addr}")
}

#[tokio::test]
async fn metrics_move_with_requests_and_readiness_follows_the_product() {
    // The product listens on a port we control, so that it can go away and come back.
    let product = SampleProduct::start(SampleOptions {
        api_key: "adm".into(),
        ..SampleOptions::default()
    })
    .await
    .unwrap();
    let product_addr = product.addr();
    let spec = TenantSpec {
        external: Some((product.base_url(), "adm".into())),
        ..TenantSpec::new("adm")
    };
    let gw = common::start(&[spec]).await;
    let admin = admin_for(&gw).await;
    let plain = reqwest::Client::new();

    let health = plain.get(format!("{admin}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let ready = plain.get(format!("{admin}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK, "{}", ready.text().await.unwrap());

    send(gw.req(0, Method::GET, "/Users")).await;
    send(gw.req(0, Method::GET, "/Users/999")).await;
    send(gw.client.get(format!("{}/Users", gw.base)).bearer_auth("nope")).await;
    let text = plain
        .get(format!("{admin}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        r#"scimgate_requests_total{tenant="adm",resource="Users",operation="list",status="200"} 1"#,
        r#"scimgate_requests_total{tenant="adm",resource="Users",operation="get",status="404"} 1"#,
        r#"scimgate_requests_total{tenant="-",resource="Users",operation="list",status="401"} 1"#,
        r#"scimgate_product_calls_total{tenant="adm",method="GET",status="404"} 1"#,
        "scimgate_auth_failures_total 1",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
    assert!(text.contains("scimgate_request_duration_seconds_bucket"), "{text}");
    assert!(
        text.contains("scimgate_cache_lookups{tenant=\"adm\",result=\"miss\"}"),
        "{text}"
    );

    // The product goes away: not ready (once the cached probe expires); it comes back: ready again.
    product.shutdown();
    drop(product);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ready = plain.get(format!("{admin}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.text().await.unwrap().contains("unreachable"));
    let listener = tokio::net::TcpListener::bind(product_addr).await.unwrap();
    let _back = SampleProduct::start_on(
        listener,
        SampleOptions {
            api_key: "adm".into(),
            ..SampleOptions::default()
        },
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ready = plain.get(format!("{admin}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
}

#[tokio::test]
async fn healthcheck_command_reflects_the_admin_listener() {
    let gw = common::start(&[TenantSpec::new("hc")]).await;
    let admin = admin_for(&gw).await;
    let run = |url: String| async move {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_scimgate"))
            .args(["healthcheck", "--url", &url])
            .output()
            .await
            .unwrap()
            .status
            .success()
    };
    assert!(run(format!("{admin}/healthz")).await);
    assert!(!run(format!("{admin}/nothing-here")).await);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    assert!(!run(format!("http://127.0.0.1:{port}/healthz")).await);
}

#[tokio::test]
async fn an_idle_connection_to_the_admin_listener_is_closed() {
    use tokio::io::AsyncReadExt;
    let gw = common::start_with(&[TenantSpec::new("adm-idle")], "[limits]\nidle_timeout_ms = 300\n").await;
    let admin = admin_for(&gw).await;
    let mut idle = tokio::net::TcpStream::connect(admin.trim_start_matches("http://"))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(3), idle.read_to_end(&mut seen))
        .await
        .expect("the admin listener closes a connection that sends nothing")
        .ok();
    assert!(seen.is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    // The listener still serves.
    let health = reqwest::Client::new()
        .get(format!("{admin}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}
