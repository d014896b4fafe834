//! What IdPs read from the headers: `ETag` / `If-Match` (RFC 7644 §3.14) and the absolute `meta.location` built
//! from a configured public URL or, when the operator trusts them, from `X-Forwarded-Proto` / `X-Forwarded-Host`.

mod common;

use common::{TenantSpec, assert_scim_error, send, user};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn deactivate() -> serde_json::Value {
    common::fixture("okta-patch-deactivate.json")
}

#[tokio::test]
async fn if_match_with_another_version_is_412_and_changes_nothing() {
    let gw = common::start(&[TenantSpec::new("t")]).await;
    let (_, headers, created) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("ada@example.com", "Ada", "L")),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, created["meta"]["version"].as_str().unwrap());
    let path = format!("/Users/{id}");
    let stale = "W/\"999\"";

    for (method, body) in [
        (Method::PATCH, Some(deactivate())),
        (Method::PUT, Some(user("ada@example.com", "Changed", "L"))),
        (Method::DELETE, None),
    ] {
        let mut req = gw.req(0, method.clone(), &path).header("if-match", stale);
        if let Some(body) = &body {
            req = req.json(body);
        }
        let (status, _, body) = send(req).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{method}: {body}");
        assert_scim_error(&body, 412, None);
    }
    let stored = &gw.product(0).users()[0];
    assert_eq!(
        (&stored["status"], &stored["first_name"]),
        (&json!("active"), &json!("Ada"))
    );

    // The current version (weak or as sent) lets the write through; afterwards it is stale.
    let (status, headers, patched) = send(
        gw.req(0, Method::PATCH, &path)
            .header("if-match", &etag)
            .json(&deactivate()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["active"], false);
    let newer = headers["etag"].to_str().unwrap().to_owned();
    assert_ne!(newer, etag);
    let (status, _, _) = send(
        gw.req(0, Method::PATCH, &path)
            .header("if-match", &etag)
            .json(&deactivate()),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, _, _) = send(
        gw.req(0, Method::PATCH, &path)
            .header("if-match", "*")
            .json(&deactivate()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, headers, _) = send(gw.req(0, Method::GET, &path)).await;
    let current = headers["etag"].to_str().unwrap().to_owned();
    let (status, _, _) = send(gw.req(0, Method::DELETE, &path).header("if-match", &current)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(gw.product(0).users().is_empty());
}

#[tokio::test]
async fn groups_honour_if_match_too() {
    let gw = common::start(&[TenantSpec::new("t")]).await;
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops"});
    let (_, headers, created) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    let path = format!("/Groups/{}", created["id"].as_str().unwrap());
    let rename = common::fixture("entra-patch-group-rename.json");
    let (status, _, body) = send(
        gw.req(0, Method::PATCH, &path)
            .header("if-match", "W/\"41\"")
            .json(&rename),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");
    assert_eq!(gw.product(0).teams()[0]["name"], "Ops");
    let etag = headers["etag"].to_str().unwrap();
    let (status, _, _) = send(gw.req(0, Method::PATCH, &path).header("if-match", etag).json(&rename)).await;
    assert!(status.is_success());
    assert_ne!(gw.product(0).teams()[0]["name"], "Ops");
}

async fn location_of(gw: &common::Gateway, name: &str, headers: &[(&str, &str)]) -> (String, String) {
    let mut req = gw.req(0, Method::POST, "/Users").json(&user(name, "A", "B"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let (status, headers, body) = send(req).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let header = headers["location"].to_str().unwrap().to_owned();
    assert_eq!(body["meta"]["location"], header.as_str());
    (header, body["id"].as_str().unwrap().to_owned())
}

const FORWARDED: [(&str, &str); 2] = [
    ("x-forwarded-proto", "https"),
    ("x-forwarded-host", "scim.example.com, proxy.internal"),
];

#[tokio::test]
async fn forwarded_headers_are_ignored_unless_the_operator_trusts_them() {
    let gw = common::start(&[TenantSpec::new("t")]).await;
    let (location, id) = location_of(&gw, "a@example.com", &FORWARDED).await;
    assert_eq!(
        location,
        format!("{}/Users/{id}", gw.base),
        "a client cannot choose the URLs"
    );

    let gw = common::start_with(&[TenantSpec::new("t")], "trust_forwarded_headers = true").await;
    let (location, id) = location_of(&gw, "a@example.com", &FORWARDED).await;
    assert_eq!(location, format!("https://scim.example.com/scim/v2/Users/{id}"));
    let (location, id) = location_of(&gw, "b@example.com", &[("x-forwarded-host", "bad host/x")]).await;
    assert_eq!(
        location,
        format!("{}/Users/{id}", gw.base),
        "a malformed host is not used"
    );

    let gw = common::start_with(
        &[TenantSpec::new("t")],
        "trust_forwarded_headers = true\npublic_url = \"https://idp-facing.example.com/scim/v2\"",
    )
    .await;
    let (location, id) = location_of(&gw, "a@example.com", &FORWARDED).await;
    assert_eq!(
        location,
        format!("https://idp-facing.example.com/scim/v2/Users/{id}"),
        "the configured URL wins"
    );
}
