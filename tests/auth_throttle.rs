//! The failed-authentication throttle through the listener: it slows what fails, per client address and
//! presented credential, never a valid token; behind a trusted proxy, per forwarded client.

mod common;

use common::{TenantSpec, assert_scim_error, send};
use reqwest::{Method, StatusCode};
use std::time::Duration;

/// Run a test within a bound, so that a hang fails instead of stalling the suite.
async fn bounded(test: impl std::future::Future<Output = ()>) {
    tokio::time::timeout(Duration::from_secs(30), test)
        .await
        .expect("finished in time");
}

#[tokio::test]
async fn a_bad_token_never_locks_out_a_valid_one_from_the_same_address() {
    bounded(async {
        let gw = common::start(&[TenantSpec::new("a"), TenantSpec::new("b")]).await;
        let bad = || gw.client.get(format!("{}/Users", gw.base)).bearer_auth("wrong-token");
        let mut statuses = Vec::new();
        for _ in 0..25 {
            statuses.push(send(bad()).await.0);
        }
        assert!(
            statuses[..20].iter().all(|s| *s == StatusCode::UNAUTHORIZED),
            "{statuses:?}"
        );
        // The bad credential itself is throttled, as before.
        let (status, headers, body) = send(bad()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_scim_error(&body, 429, None);
        assert_eq!(headers["retry-after"], "60");
        // Every tenant's valid token from the same address is served.
        for i in 0..2 {
            let (status, _, body) = send(gw.req(i, Method::GET, "/Users")).await;
            assert_eq!(status, StatusCode::OK, "tenant {i}: {body}");
        }
        // Another bad credential from the address has failures of its own to spend.
        let (status, _, _) = send(gw.client.get(format!("{}/Users", gw.base)).bearer_auth("other-token")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_is_throttled_on_its_own() {
    bounded(async {
        let gw = common::start_with(
            &[TenantSpec::new("proxied")],
            "trust_forwarded_headers = true\n[limits]\nauth_failure_limit = 3\n",
        )
        .await;
        let bad = |client: &str| {
            gw.client
                .get(format!("{}/Users", gw.base))
                .bearer_auth("wrong-token")
                .header("X-Forwarded-For", format!("192.0.2.1, {client}"))
        };
        for _ in 0..3 {
            assert_eq!(send(bad("198.51.100.1")).await.0, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(send(bad("198.51.100.1")).await.0, StatusCode::TOO_MANY_REQUESTS);
        // The same proxy address and credential, another client behind the proxy: not throttled.
        assert_eq!(send(bad("198.51.100.2")).await.0, StatusCode::UNAUTHORIZED);
        // RFC 7239 Forwarded names the client too.
        let forwarded = gw
            .client
            .get(format!("{}/Users", gw.base))
            .bearer_auth("wrong-token")
            .header("Forwarded", "for=\"198.51.100.1:4711\";proto=https");
        assert_eq!(send(forwarded).await.0, StatusCode::TOO_MANY_REQUESTS);
    })
    .await;
}

#[tokio::test]
async fn forwarded_addresses_are_ignored_unless_the_proxy_is_trusted() {
    bounded(async {
        let gw = common::start_with(&[TenantSpec::new("direct")], "[limits]\nauth_failure_limit = 3\n").await;
        for n in 0..3 {
            let req = gw
                .client
                .get(format!("{}/Users", gw.base))
                .bearer_auth("wrong-token")
                .header("X-Forwarded-For", format!("198.51.100.{n}"));
            assert_eq!(send(req).await.0, StatusCode::UNAUTHORIZED);
        }
        // A client cannot escape the throttle by naming another address.
        let req = gw
            .client
            .get(format!("{}/Users", gw.base))
            .bearer_auth("wrong-token")
            .header("X-Forwarded-For", "198.51.100.99");
        assert_eq!(send(req).await.0, StatusCode::TOO_MANY_REQUESTS);
    })
    .await;
}
