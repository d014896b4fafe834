//! The edges of every input: ids that would be dot segments, values of the wrong SCIM type, multi-valued input
//! the product cannot store, and a create whose deactivation fails. Each is answered before the product sees
//! anything it should not, or the answer says what state the product was left in.

mod common;

use common::{TenantSpec, assert_scim_error, raw, send, user};
use reqwest::{Method, StatusCode};
use scimgate::sample::Shape;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn named() -> common::Gateway {
    common::start_with_mapping(
        &[TenantSpec::shaped("named", Shape::Named)],
        "",
        &common::example_mapping("named"),
    )
    .await
}

/// Send one request exactly as written (no client normalises its path) and read the status and JSON body.
async fn raw_request(gw: &common::Gateway, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} /scim/v2{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{body}",
        token = gw.tenants[0].token,
        len = body.len(),
    );
    let mut tls = raw::connect(gw).await;
    tls.write_all(request.as_bytes()).await.expect("write request");
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await.ok();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

/// Whether a product call's path has a `.` or `..` segment.
fn has_dot_segment(path: &str) -> bool {
    path.split(['/', '?']).any(|s| s == "." || s == "..")
}

fn patch(operations: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
}

#[tokio::test]
async fn dot_ids_are_not_found_without_a_product_call() {
    let gw = named().await;
    let replace = patch(json!([{"op": "replace", "path": "title", "value": "x"}]));
    for id in ["..", ".", "%2E%2E", "%2e", ".%2E"] {
        for (method, body) in [("GET", None), ("DELETE", None), ("PATCH", Some(&replace))] {
            for endpoint in ["Users", "Groups"] {
                let (status, body) = raw_request(&gw, method, &format!("/{endpoint}/{id}"), body).await;
                assert_eq!(status, 404, "{method} /{endpoint}/{id}: {body}");
                assert_scim_error(&body, 404, None);
            }
        }
    }
    let log = gw.product(0).request_log();
    assert!(log.is_empty(), "no call reached the product: {log:?}");
}

#[tokio::test]
async fn a_dot_member_is_an_unknown_member_and_never_a_product_path() {
    let gw = named().await;
    let (status, _, ada) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("ada@example.com", "A", "L")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ada}");
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops"});
    let (status, _, created) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    for (member, name) in [("..", "Dev"), (".", "Qa")] {
        let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": member}]}]));
        let (status, _, body) = send(gw.req(0, Method::PATCH, "/Groups/Ops").json(&add)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_scim_error(&body, 400, Some("invalidValue"));
        // The same answer as for a member id no user has.
        let unknown = patch(json!([{"op": "add", "path": "members", "value": [{"value": "nobody"}]}]));
        let (status, _, other) = send(gw.req(0, Method::PATCH, "/Groups/Ops").json(&unknown)).await;
        assert_eq!(
            (status, other["scimType"].clone()),
            (StatusCode::BAD_REQUEST, body["scimType"].clone())
        );
        let with_member = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": name, "members": [{"value": member}]});
        let (status, _, body) = send(gw.req(0, Method::POST, "/Groups").json(&with_member)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_scim_error(&body, 400, Some("invalidValue"));
    }
    assert_eq!(gw.product(0).team_members("Ops"), Some(Vec::new()));
    let log = gw.product(0).request_log();
    assert!(!log.iter().any(|(_, path)| has_dot_segment(path)), "{log:?}");
}
