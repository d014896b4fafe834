//! The memory of filters the product cannot evaluate is bounded: a tenant's scans hold at most
//! `limits.tenant_scan_budget` product objects at once; past it a request is answered `503` with `Retry-After`
//! while the others are served.

mod common;

use bytes::Bytes;
use common::{TenantSpec, assert_scim_error, send};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

/// Users in the product's listing.
const USERS: u64 = 12;

/// A product whose user listing (`?page=&per_page=`, total in `/meta/total`) answers each page after a pause,
/// so that concurrent scans overlap.
async fn slow_listing() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|req: http::Request<hyper::body::Incoming>| async move {
                    let query = req.uri().query().unwrap_or("");
                    let param = |name: &str| {
                        form_urlencoded::parse(query.as_bytes())
                            .find(|(k, _)| k == name)
                            .and_then(|(_, v)| v.parse::<u64>().ok())
                    };
                    let (page, size) = (param("page").unwrap_or(1), param("per_page").unwrap_or(USERS));
                    let users: Vec<_> = ((page - 1) * size + 1..=(page * size).min(USERS))
                        .map(|id| {
                            json!({"id": id, "username": format!("u{id}"), "email": format!("u{id}@example.com"),
                                   "title": "engineer", "status": "active"})
                        })
                        .collect();
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    let body = json!({"data": users, "meta": {"total": USERS}}).to_string();
                    Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::from(body))))
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}/api/v1")
}

#[tokio::test]
async fn concurrent_gateway_evaluated_filters_past_the_scan_budget_get_503_and_the_others_are_served() {
    let spec = TenantSpec {
        external: Some((slow_listing().await, "k".into())),
        ..TenantSpec::new("scans")
    };
    // Pages of 5: a scan of the 12 users reads three pages. The tenant's scans may hold 30 objects: two scans.
    let mapping = common::example_mapping("classic").replacen("max_size = 200", "max_size = 5", 1);
    let limits = "[limits]\nscan_limit = 20\ntenant_scan_budget = 30\n";
    let gw = common::start_with_mapping(&[spec], limits, &mapping).await;
    // `title` has no push-down rule: the gateway reads the whole listing and evaluates the filter itself.
    let path = "/Users?filter=title%20eq%20%22engineer%22";
    let answers = futures_util::future::join_all((0..8).map(|_| send(gw.req(0, Method::GET, path)))).await;
    let (mut served, mut busy) = (0, 0);
    for (status, headers, body) in &answers {
        match *status {
            StatusCode::OK => {
                assert_eq!(body["totalResults"], USERS, "{body}");
                served += 1;
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_scim_error(body, 503, None);
                assert!(
                    body["detail"].as_str().unwrap().contains("tenant_scan_budget"),
                    "{body}"
                );
                assert_eq!(headers["retry-after"], "1");
                busy += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(served >= 1, "some scans are served ({served} served, {busy} refused)");
    assert!(
        busy >= 1,
        "scans past the budget are refused ({served} served, {busy} refused)"
    );
    let budget = &gw.runtime.tenants[0].scan_budget;
    assert!(budget.peak() <= 30, "the scans held {} objects at once", budget.peak());
    assert!(budget.peak() >= 12, "a whole listing was held: {}", budget.peak());
    assert_eq!(budget.held(), 0, "every scan gave its objects back");

    // Alone, a scan is served again.
    let (status, _, body) = send(gw.req(0, Method::GET, path)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
